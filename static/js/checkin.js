/* The check-in page: once a tap is safe in the outbox, say so at once and offer the
   other action, even with no signal. The server's answer replaces this when it comes. */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  document.addEventListener("outbox:queued", function (event) {
    var form = event.target.closest ? event.target.closest(".tap-form") : null;
    if (!form) return;
    // The words live on the panel, which the server's answers fill but never replace.
    var words = form.closest("[data-saved-in]");
    var action = form.querySelector("input[name=action]");
    var done = action.value;
    var now = new Date();
    var state = document.querySelector("[data-checkin-state]");
    if (state) {
      state.textContent = words.getAttribute("data-saved-" + done)
        .replace("{time}", pad(now.getHours()) + ":" + pad(now.getMinutes()));
    }
    var next = done === "in" ? "out" : "in";
    action.value = next;
    var button = form.querySelector("button[type=submit]");
    button.textContent = words.getAttribute("data-label-" + next);
    button.className = "tap-button tap-" + next;
  });
})();
