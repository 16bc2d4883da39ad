// The hall display: a clock in the site's timezone, and the board swapped in live from the
// server's stream. Works offline: nothing here comes from the internet.
(function () {
  "use strict";
  var clock = document.getElementById("clock");
  if (clock) {
    var zone = clock.getAttribute("data-timezone") || undefined;
    var format = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: zone });
    var tick = function () { clock.textContent = format.format(new Date()); };
    tick();
    setInterval(tick, 1000);
  }
  var board = document.getElementById("board");
  if (!board || !window.EventSource) { return; }
  var source = new EventSource(board.getAttribute("data-live-src"));
  source.addEventListener("board", function (event) {
    board.innerHTML = JSON.parse(event.data).board;
    document.body.setAttribute("data-live-updated", String(Date.now()));
  });
})();
