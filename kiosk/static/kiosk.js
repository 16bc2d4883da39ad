// The entrance kiosk: clock, idle reset, larger text, and fob taps shown live.
(function () {
  "use strict";
  var body = document.body;
  var html = document.documentElement;

  // Larger text: kept for this visitor only; the idle reset forgets it.
  var bigger = document.getElementById("bigger");
  function setLarge(on) {
    html.classList.toggle("large", on);
    if (bigger) { bigger.setAttribute("aria-pressed", on ? "true" : "false"); }
    try { if (on) { sessionStorage.setItem("large", "1"); } else { sessionStorage.removeItem("large"); } } catch (e) {}
  }
  try { setLarge(sessionStorage.getItem("large") === "1"); } catch (e) {}
  if (bigger) { bigger.addEventListener("click", function () { setLarge(!html.classList.contains("large")); }); }

  // The clock follows the server's time (the site's zone), not the browser's idea of it.
  var clock = document.getElementById("clock");
  var offset = Date.parse(body.getAttribute("data-now")) - Date.now();
  var format = null;
  try {
    format = new Intl.DateTimeFormat(body.getAttribute("data-lang") || "en",
      { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: body.getAttribute("data-tz") });
  } catch (e) { format = null; }
  function tick() {
    if (clock && format && !isNaN(offset)) { clock.textContent = format.format(new Date(Date.now() + offset)); }
  }
  setInterval(tick, 10000);

  // Idle reset: back to Home, clearing anything typed, the language and larger text.
  var idleMs = (parseInt(body.getAttribute("data-idle"), 10) || 60) * 1000;
  var home = body.getAttribute("data-home");
  var timer = null;
  function isFresh() {
    return location.pathname === "/kiosk/" && !html.classList.contains("large") &&
      body.getAttribute("data-lang") === body.getAttribute("data-default-lang");
  }
  function reset() {
    try { sessionStorage.clear(); } catch (e) {}
    if (!isFresh()) { location.replace(home); }
  }
  function touched() { clearTimeout(timer); timer = setTimeout(reset, idleMs); }
  ["pointerdown", "keydown", "input", "touchstart"].forEach(function (name) {
    document.addEventListener(name, touched, { passive: true, capture: true });
  });
  touched();

  // Fob taps: the agent writes the outcome; the page hears of it over server-sent events.
  var overlay = document.getElementById("fob");
  var text = document.getElementById("fob-text");
  var close = document.getElementById("fob-close");
  var hideTimer = null;
  function hide() { overlay.hidden = true; }
  if (close) { close.addEventListener("click", hide); }
  var src = body.getAttribute("data-live");
  var seen = body.getAttribute("data-fob-seen") || "";
  if (src && window.EventSource) {
    var source = new EventSource(src);
    source.addEventListener("kiosk", function (event) {
      var data = JSON.parse(event.data);
      var state = document.getElementById("open-state");
      if (state && state.getAttribute("data-open") !== String(data.open)) {
        state.setAttribute("data-open", String(data.open));
        state.textContent = state.getAttribute("data-text-" + String(data.open));
        state.className = "state " + (data.open ? "open" : "closed");
      }
      var fob = data.fob;
      if (!fob || !fob.at || fob.at === seen) { return; }
      seen = fob.at;
      var words = overlay.getAttribute("data-" + fob.outcome) || overlay.getAttribute("data-unknown");
      text.textContent = words.replace("{name}", fob.first_name || "");
      overlay.hidden = false;
      touched();
      close.focus();
      clearTimeout(hideTimer);
      hideTimer = setTimeout(hide, 6000);
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }
})();
