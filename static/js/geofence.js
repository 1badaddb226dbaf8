/* Site form: "use my location" fills the geofence centre from the phone's GPS (WGS-84).
   Loaded only on that form; no inline script (CSP). The page may be swapped in by htmx
   more than once, so listeners are added once and buttons revealed on every load. */
(function () {
  "use strict";

  function reveal(root) {
    if (!("geolocation" in navigator) || !window.isSecureContext) return;
    root.querySelectorAll("[data-geofence-locate]").forEach(function (button) {
      button.hidden = false;
    });
  }

  reveal(document);
  if (window.fieldpostGeofence) return;
  window.fieldpostGeofence = true;

  document.addEventListener("htmx:load", function (event) { reveal(event.target); });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-geofence-locate]");
    if (!button) return;
    var form = button.form;
    var status = form.querySelector("[data-geofence-status]");
    function say(text) { if (status) status.textContent = text; }
    button.disabled = true;
    say(button.dataset.waiting);
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.latitude.value = position.coords.latitude.toFixed(6);
      form.elements.longitude.value = position.coords.longitude.toFixed(6);
      // Phones report WGS-84: never convert these.
      form.elements.datum.value = "wgs84";
      say(button.dataset.found.replace("{m}", Math.round(position.coords.accuracy)));
      button.disabled = false;
    }, function () {
      say(button.dataset.failed);
      button.disabled = false;
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  });
})();
