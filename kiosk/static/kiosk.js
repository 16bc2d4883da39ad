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

  // A form marked data-once is sent once: a double tap does not send it twice.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) { return; }
    if (form.getAttribute("data-sent")) { e.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
    setTimeout(function () {
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.disabled = true; });
    }, 0);
  });
  // Coming back to a page kept in memory (the back button): nothing typed and no sent form.
  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), function (form) {
      form.reset();
      form.removeAttribute("data-sent");
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = false; });
    });
  });

  // Fob taps: the agent writes the outcome; the page hears of it over server-sent events.
  // A volunteer's sign-in goes on to "What are you here for?" and their shifts (or, if an
  // activity is already ticked on this screen, records it); a sign-out says so plainly
  // and offers to undo it.
  var overlay = document.getElementById("fob");
  var text = document.getElementById("fob-text");
  var close = document.getElementById("fob-close");
  var keep = document.getElementById("fob-keep");
  var shifts = document.getElementById("fob-shifts");
  var chooser = document.getElementById("fob-activity");
  var hideTimer = null;
  function hide() { overlay.hidden = true; }
  if (close) { close.addEventListener("click", hide); }
  function typing() {
    return Array.prototype.some.call(document.querySelectorAll("main input[type=text]"),
      function (input) { return input.value.trim() !== ""; });
  }
  function tapped(fob) {
    var chosen = document.querySelector("main input[name=activity]:checked");
    var here = document.querySelector("main[data-tap]");
    if (here && here.getAttribute("data-tap") === fob.tap) { return false; }
    if (fob.outcome === "signed_in" && chosen && chooser) {
      chooser.elements.tap.value = fob.tap;
      chooser.elements.activity.value = chosen.value;
      chooser.submit();
      return true;
    }
    if ((fob.outcome === "signed_in" || fob.outcome === "still_in") && !typing()) {
      location.assign(overlay.getAttribute("data-tapped") + "?tap=" + encodeURIComponent(fob.tap));
      return true;
    }
    return false;
  }
  function show(fob) {
    var words = overlay.getAttribute("data-" + fob.outcome) || overlay.getAttribute("data-unknown");
    text.textContent = words.replace("{name}", fob.first_name || "");
    overlay.className = "overlay " + fob.outcome;
    if (keep) {
      keep.hidden = !(fob.outcome === "signed_out" && fob.tap);
      keep.elements.tap.value = fob.tap || "";
    }
    if (shifts) {
      shifts.hidden = !(fob.volunteer && fob.tap);
      shifts.href = overlay.getAttribute("data-tapped") + "?tap=" + encodeURIComponent(fob.tap || "");
    }
    overlay.hidden = false;
    touched();
    (fob.outcome === "signed_out" && keep ? keep.querySelector("button") : close).focus();
    clearTimeout(hideTimer);
    // A sign-out stays longer: time to read it and to undo it.
    hideTimer = setTimeout(hide, fob.outcome === "signed_out" ? 15000 : 6000);
  }
  var src = body.getAttribute("data-live");
  var seen = body.getAttribute("data-fob-seen") || "";
  if (src && window.EventSource) {
    var source = new EventSource(src);
    source.addEventListener("kiosk", function (event) {
      var data = JSON.parse(event.data);
      body.setAttribute("data-live-updated", String(Date.now()));
      var state = document.getElementById("open-state");
      if (state && state.getAttribute("data-open") !== String(data.open)) {
        state.setAttribute("data-open", String(data.open));
        state.textContent = state.getAttribute("data-text-" + String(data.open));
        state.className = "state " + (data.open ? "open" : "closed");
      }
      var fob = data.fob;
      if (!fob || !fob.at || fob.at === seen) { return; }
      seen = fob.at;
      if (fob.outcome === "spent") { return; }
      // A vote's page asked "who are you?": the tap that answers opens the ballot.
      var vote = document.querySelector("main[data-vote-wait]");
      if (vote && fob.outcome === "identified" && fob.tap) {
        location.assign(vote.getAttribute("data-vote-wait") + "?tap=" + encodeURIComponent(fob.tap));
        return;
      }
      if (fob.volunteer && fob.tap && tapped(fob)) { return; }
      show(fob);
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }
})();
