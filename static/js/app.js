/* Fieldpost page script: no inline script anywhere (CSP), so everything starts here. */
(function () {
  "use strict";
  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
        /* The app works without it; only the offline page is lost. */
      });
    });
  }
})();
