// Live updates over server-sent events: no framework, no reload.
(function () {
  "use strict";
  var list = document.getElementById("doors");
  if (!list || !window.EventSource) { return; }
  var source = new EventSource(list.getAttribute("data-live-src"));
  source.addEventListener("snapshot", function (event) {
    var snap = JSON.parse(event.data);
    var openState = document.getElementById("open-state");
    if (openState) { openState.textContent = snap.open ? "Open" : "Closed"; }
    Object.keys(snap.doors).forEach(function (id) {
      var door = snap.doors[id];
      var item = list.querySelector('[data-door="' + CSS.escape(id) + '"]');
      if (!item) {
        item = document.createElement("li");
        item.setAttribute("data-door", id);
        item.innerHTML = '<span class="name"></span>: <strong class="state"></strong>';
        var empty = list.querySelector(".empty");
        if (empty) { empty.remove(); }
        list.appendChild(item);
      }
      item.querySelector(".name").textContent = door.name;
      item.querySelector(".state").textContent = door.state;
    });
  });
})();
