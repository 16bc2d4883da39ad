// The roll-call's Print button: shown only when scripts run (the list itself needs none).
(function () {
  "use strict";
  var button = document.getElementById("print");
  if (!button || !window.print) { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
