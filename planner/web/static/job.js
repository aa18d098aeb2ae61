// Follows a running job: asks its status every second, moves the bar, and reloads the
// page once the job has stopped (the server then renders its results). Without this
// script the page refreshes itself (a <noscript> refresh) and shows the same.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var url = box.getAttribute("data-status");
  function show(id, text) {
    var node = document.getElementById(id);
    if (node) { node.textContent = text; }
  }
  function poll() {
    fetch(url, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) { return response.json(); })
      .then(function (status) {
        if (!status.active) { window.location.reload(); return; }
        var bar = document.getElementById("bar");
        if (bar) {
          if (status.fraction === null) { bar.removeAttribute("value"); }
          else { bar.value = status.fraction; }
        }
        show("state", status.state_words);
        show("step", status.step);
        show("label", status.label);
        show("left", status.left);
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
