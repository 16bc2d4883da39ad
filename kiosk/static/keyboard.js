// Our own on-screen keyboard: Chromium in kiosk mode brings none. Works by touch, keeps
// focus in the field, and never suggests or remembers anything typed.
(function () {
  "use strict";
  var osk = document.getElementById("osk");
  if (!osk) { return; }
  var rows = ["1234567890", "qwertyuiop", "asdfghjkl'", "zxcvbnm-.@", "âêîôûŵŷ"];
  var shift = false;
  var target = null;
  function key(label, value, cls, aria) {
    var b = document.createElement("button");
    b.type = "button";
    b.tabIndex = -1; // a physical keyboard types directly; these are for touch
    b.textContent = label;
    b.setAttribute("data-key", value);
    if (cls) { b.className = cls; }
    if (aria) { b.setAttribute("aria-label", aria); }
    return b;
  }
  rows.forEach(function (row) {
    var line = document.createElement("div");
    row.split("").forEach(function (c) { line.appendChild(key(c, c)); });
    osk.appendChild(line);
  });
  var last = document.createElement("div");
  last.appendChild(key("⇧", "shift", "wide", osk.getAttribute("data-shift")));
  last.appendChild(key(osk.getAttribute("data-space"), " ", "wide"));
  last.appendChild(key("⌫", "back", "wide", osk.getAttribute("data-back")));
  last.appendChild(key(osk.getAttribute("data-done"), "done", "wide"));
  osk.appendChild(last);
  var shiftKey = osk.querySelector('[data-key="shift"]');
  shiftKey.setAttribute("aria-pressed", "false");

  function setShift(on) {
    shift = on;
    shiftKey.setAttribute("aria-pressed", on ? "true" : "false");
    Array.prototype.forEach.call(osk.querySelectorAll("button"), function (b) {
      var k = b.getAttribute("data-key");
      if (k.length === 1 && k !== " ") { b.textContent = on ? k.toUpperCase() : k; }
    });
  }
  function type(k) {
    if (!target) { return; }
    var v = target.value, s = target.selectionStart, e = target.selectionEnd;
    if (s === null || s === undefined) { s = e = v.length; }
    if (k === "back") {
      if (s === e && s > 0) { s -= 1; }
      target.value = v.slice(0, s) + v.slice(e);
    } else {
      var max = target.maxLength > 0 ? target.maxLength : 1000;
      if (v.length - (e - s) >= max) { return; }
      var ch = shift ? k.toUpperCase() : k;
      // Capitalise the start of each word of a name, as people expect.
      if (!shift && target.getAttribute("autocapitalize") === "words" && (s === 0 || v.charAt(s - 1) === " ")) {
        ch = k.toUpperCase();
      }
      target.value = v.slice(0, s) + ch + v.slice(e);
      s += ch.length;
      if (shift) { setShift(false); }
    }
    target.setSelectionRange(s, s);
    target.dispatchEvent(new Event("input", { bubbles: true }));
  }
  // pointerdown would move focus out of the field; keep it where the person is typing.
  osk.addEventListener("pointerdown", function (e) { e.preventDefault(); });
  osk.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b) { return; }
    var k = b.getAttribute("data-key");
    if (k === "shift") { setShift(!shift); } else if (k === "done") { osk.hidden = true; if (target) { target.blur(); } } else { type(k); }
  });
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("input[data-osk]")) {
      target = e.target;
      osk.hidden = false;
    }
  });
  document.addEventListener("focusout", function (e) {
    if (e.target === target) {
      setTimeout(function () { if (!document.activeElement || !document.activeElement.matches("input[data-osk]")) { osk.hidden = true; } }, 0);
    }
  });
})();
