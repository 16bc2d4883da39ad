// The fob page: ask the server once a second whether a fob was read since the page opened,
// then say so and point at the Assign button. Without JavaScript the button still works.
(function () {
  "use strict";
  var form = document.getElementById("fob-form");
  if (!form) { return; }
  var prompt = document.getElementById("fob-prompt");
  var button = document.getElementById("fob-assign");
  var url = form.getAttribute("data-status-url");
  var timer = null;
  function check() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.tapped) {
          clearInterval(timer);
          prompt.textContent = "Fob read at " + data.at + ". Press Assign to give it to this person.";
          prompt.setAttribute("data-tapped", "yes");
          button.focus();
        }
      })
      .catch(function () { /* the next tick tries again */ });
  }
  timer = setInterval(check, 1000);
  check();
})();
