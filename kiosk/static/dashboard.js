// The dashboard's live sections: the server re-renders them after every change and sends
// them over one server-sent event stream; we swap each section's HTML in. No framework.
(function () {
  "use strict";
  var root = document.getElementById("dash");
  var note = document.getElementById("live-note");
  if (!root || !window.EventSource) { return; }
  var source = new EventSource(root.getAttribute("data-live-src"));
  source.addEventListener("sections", function (event) {
    var sections = JSON.parse(event.data);
    Object.keys(sections).forEach(function (name) {
      var section = root.querySelector('[data-section="' + CSS.escape(name) + '"]');
      if (section) { section.innerHTML = sections[name]; }
    });
    document.body.setAttribute("data-live-updated", String(Date.now()));
    if (note) { note.textContent = "Updates by itself; no need to reload."; note.classList.remove("stale"); }
  });
  source.addEventListener("error", function () {
    // EventSource reconnects by itself; say so, in case the session ended (then reload to log in)
    if (note) { note.textContent = "Live updates paused: reconnecting…"; note.classList.add("stale"); }
  });
})();
