/* Fieldpost page script: no inline script anywhere (CSP), so everything starts here. */
(function () {
  "use strict";

  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
        // The cached offline page speaks the language it was fetched in: refresh it
        // when the person's language changes.
        var lang = document.documentElement.lang;
        if (localStorage.getItem("fp-offline-lang") !== lang) {
          navigator.serviceWorker.ready.then(function (registration) {
            registration.active.postMessage({ refreshOffline: true });
            localStorage.setItem("fp-offline-lang", lang);
          });
        }
      }).catch(function () {
        /* The app works without it; only the offline page is lost. */
      });
    });
  }

  // A boosted page change swaps only <body>: carry the new page's language over.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.boosted || !event.detail.xhr) return;
    var match = /<html[^>]*\slang="([^"]+)"/.exec(event.detail.xhr.responseText);
    if (match) document.documentElement.lang = match[1];
  });

  // The photo viewer: swipe (or the arrow keys) to the newer or older photo.
  function step(rel) {
    var link = document.querySelector(".viewer a[rel=" + rel + "]");
    if (link) link.click();
  }
  var touchX = null;
  document.addEventListener("touchstart", function (event) {
    touchX = event.target.closest && event.target.closest(".viewer-frame") ? event.touches[0].clientX : null;
  }, { passive: true });
  document.addEventListener("touchend", function (event) {
    if (touchX === null) return;
    var moved = event.changedTouches[0].clientX - touchX;
    touchX = null;
    if (Math.abs(moved) > 60) step(moved > 0 ? "prev" : "next");
  });
  document.addEventListener("keydown", function (event) {
    if (event.target.closest && event.target.closest("input, textarea, select")) return;
    if (event.key === "ArrowLeft") step("prev");
    if (event.key === "ArrowRight") step("next");
  });

  // A boosted link that cannot reach the server: navigate for real, so the
  // service worker can answer with the offline page instead of nothing happening.
  document.addEventListener("htmx:sendError", function (event) {
    var detail = event.detail;
    if (detail.boosted && detail.requestConfig && detail.requestConfig.verb === "get") {
      window.location.href = detail.pathInfo.requestPath;
    }
  });
})();
