// New booking (dashboard): as the form is filled in, post it to the preview address and
// show the dates it would book, each clash with its choices. A choice about a clashing
// date does not redraw the list (so the choice stays). Without JavaScript, "Check dates"
// does the same with a page load.
(function () {
  "use strict";
  var form = document.getElementById("new-booking");
  if (!form) { return; }
  var box = document.getElementById("preview");
  var ends = document.getElementById("ends");
  var repeat = document.getElementById("repeat");
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var asked = 0;
  function showEnds() { ends.hidden = !repeat.value; }
  function refresh() {
    var mine = ++asked;
    fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null && mine === asked) {
          box.innerHTML = html;
          box.setAttribute("data-checked", String(mine));
        }
      })
      .catch(function () { /* the next change tries again; Check dates still works */ });
  }
  function changed(event) {
    if (box.contains(event.target)) { return; }
    if (event.target === repeat) { showEnds(); }
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  showEnds();
})();
