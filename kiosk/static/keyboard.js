// Our own on-screen keyboard: Chromium in kiosk mode brings none. Works by touch, keeps
// focus in the field, never suggests or remembers anything typed, and never hides what is
// being typed: the field scrolls up above the keyboard, with the letters counted against
// the limit. Next goes to the form's next box; the last key sends the form.
(function () {
  "use strict";
  var osk = document.getElementById("osk");
  if (!osk) { return; }
  var LAYOUTS = {
    text: ["1234567890", "qwertyuiop", "asdfghjkl'", "zxcvbnm-.@", "âêîôûŵŷ"],
    digits: ["123", "456", "789", "0"]
  };
  var shift = false;
  var target = null;
  var layout = "";
  var shiftKey = null, nextKey = null, sendKey = null;

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
  function build(name) {
    layout = name;
    osk.textContent = "";
    osk.className = "osk osk-" + name;
    LAYOUTS[name].forEach(function (row) {
      var line = document.createElement("div");
      row.split("").forEach(function (c) { line.appendChild(key(c, c)); });
      if (name === "digits" && row === "0") { line.appendChild(key("⌫", "back", "", osk.getAttribute("data-back"))); }
      osk.appendChild(line);
    });
    var last = document.createElement("div");
    last.className = "keys-last";
    if (name === "text") {
      shiftKey = key("⇧", "shift", "", osk.getAttribute("data-shift"));
      shiftKey.setAttribute("aria-pressed", "false");
      last.appendChild(shiftKey);
      last.appendChild(key(osk.getAttribute("data-space"), " ", "space"));
      last.appendChild(key("⌫", "back", "", osk.getAttribute("data-back")));
    } else {
      shiftKey = null;
    }
    last.appendChild(key(osk.getAttribute("data-done"), "done", "hide", osk.getAttribute("data-done-label")));
    nextKey = key(osk.getAttribute("data-next") + " ›", "next", "next");
    // Named apart from the form's own button, which it presses (one "Sign in" for assistive tech).
    sendKey = key("", "send", "send", osk.getAttribute("data-send"));
    last.appendChild(nextKey);
    last.appendChild(sendKey);
    osk.appendChild(last);
    shift = false;
  }

  function setShift(on) {
    shift = on;
    if (!shiftKey) { return; }
    shiftKey.setAttribute("aria-pressed", on ? "true" : "false");
    Array.prototype.forEach.call(osk.querySelectorAll("button"), function (b) {
      var k = b.getAttribute("data-key");
      if (k.length === 1 && k !== " ") { b.textContent = on ? k.toUpperCase() : k; }
    });
  }
  function fields(form) {
    return form ? Array.prototype.slice.call(form.querySelectorAll("input[data-osk]")) : [];
  }
  function nextField() {
    var list = fields(target && target.form);
    var i = list.indexOf(target);
    return i >= 0 && i + 1 < list.length ? list[i + 1] : null;
  }
  function submitButton() {
    return target && target.form ? target.form.querySelector("button[type=submit], button:not([type])") : null;
  }
  function label() {
    var next = nextField();
    nextKey.disabled = !next;
    nextKey.hidden = !next;
    var send = submitButton();
    sendKey.hidden = !send;
    if (send) { sendKey.textContent = send.textContent.trim() + " ↵"; }
  }

  // The limit, stated while typing: "12 of 120 letters" under the field.
  function count() {
    if (!target || !target.id) { return; }
    var out = document.getElementById(target.id + "-count");
    if (!out || target.maxLength <= 0) { return; }
    out.textContent = osk.getAttribute("data-count")
      .replace("{n}", String(target.value.length)).replace("{max}", String(target.maxLength));
    out.classList.toggle("full", target.value.length >= target.maxLength);
  }

  // Keep the field, its label and its count in sight above the keyboard.
  function reveal() {
    if (!target || osk.hidden) { return; }
    var room = window.innerHeight - osk.offsetHeight;
    document.body.style.paddingBottom = osk.offsetHeight + "px";
    var box = target.closest(".field") || target;
    var r = box.getBoundingClientRect();
    var margin = 8;
    if (r.height > room - 2 * margin) { box = target; r = target.getBoundingClientRect(); }
    if (r.bottom > room - margin) {
      window.scrollBy(0, r.bottom - (room - margin));
    } else if (r.top < margin) {
      window.scrollBy(0, r.top - margin);
    }
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
      if (v.length - (e - s) >= max) { count(); return; }
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
  // The room kept under the page for the keyboard goes only once no finger is down: taking
  // it while a press is on would move the page under the finger, and the press on the
  // form's own button (which took the focus and so hid the keyboard) would land beside it.
  var pressing = false;
  function settle() {
    if (osk.hidden && !pressing) { document.body.style.paddingBottom = ""; }
  }
  function hide() {
    osk.hidden = true;
    settle();
  }
  document.addEventListener("pointerdown", function () { pressing = true; }, true);
  function lifted() {
    // After the click this press makes, which comes straight after the lift.
    setTimeout(function () { pressing = false; settle(); }, 0);
  }
  document.addEventListener("pointerup", lifted, true);
  document.addEventListener("pointercancel", lifted, true);

  // pointerdown would move focus out of the field; keep it where the person is typing.
  osk.addEventListener("pointerdown", function (e) { e.preventDefault(); });
  osk.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b || b.disabled) { return; }
    var k = b.getAttribute("data-key");
    if (k === "shift") {
      setShift(!shift);
    } else if (k === "done") {
      hide();
      if (target) { target.blur(); }
    } else if (k === "next") {
      var next = nextField();
      if (next) { next.focus(); }
    } else if (k === "send") {
      var form = target && target.form;
      if (form) { hide(); if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); } }
    } else {
      type(k);
    }
  });
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("input[data-osk]")) {
      target = e.target;
      var wanted = target.getAttribute("data-osk") === "digits" ? "digits" : "text";
      if (wanted !== layout) { build(wanted); }
      label();
      osk.hidden = false;
      count();
      reveal();
    }
  });
  document.addEventListener("input", function (e) {
    if (e.target === target) { count(); reveal(); }
  });
  document.addEventListener("focusout", function (e) {
    if (e.target === target) {
      setTimeout(function () { if (!document.activeElement || !document.activeElement.matches("input[data-osk]")) { hide(); } }, 0);
    }
  });
  window.addEventListener("resize", reveal);
  // "Larger text" changes every size: keep the field in sight after it.
  new MutationObserver(function () { setTimeout(reveal, 0); })
    .observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  // A field focused as the page opens (an error about it) opens the keyboard at once.
  var first = document.querySelector("input[data-osk][autofocus]");
  if (first && document.activeElement !== first) { first.focus(); }
})();
