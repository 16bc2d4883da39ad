// Small helpers for pages that must work without JavaScript too: a "Go back" link that
// steps back in history when it can, and a Print button shown only when scripts run.
// (The Content-Security-Policy allows no inline script, so this lives here.)
(function () {
  "use strict";
  document.querySelectorAll("[data-action=back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) { event.preventDefault(); window.history.back(); }
    });
  });
  document.querySelectorAll("[data-action=print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
