// SATIS progressive enhancement. Every page works without this file.
(function () {
  "use strict";
  // Confirm before leaving a form with unsaved changes (forms opt in with data-warn-unsaved).
  document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (e) {
      if (dirty) { e.preventDefault(); }
    });
  });
  // Signing out removes the pages kept on the device for offline use (see outreach.js); the
  // outbox of records not yet sent stays, so that nothing typed is lost.
  document.querySelectorAll("form[action='/logout']").forEach(function (form) {
    form.addEventListener("submit", function () {
      if (window.caches) { window.caches.delete("satis-outreach-v1"); }
    });
  });
})();
