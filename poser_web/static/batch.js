// A batch being populated or executed: poll its progress and reload the page when it is done.
(function () {
  "use strict";
  var box = document.getElementById("batch-progress");
  if (!box) { return; }
  var bar = document.getElementById("batch-progress-bar");
  var text = document.getElementById("batch-progress-text");
  function poll() {
    fetch(box.dataset.url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if ((data.state !== "populating" && data.state !== "executing") || data.stopped) {
          window.location.reload(); return;
        }
        if (data.total) { bar.max = data.total; }
        bar.value = data.progress;
        text.textContent = data.progress.toLocaleString() + " of " +
          (data.total ? data.total.toLocaleString() : "?") + " rows";
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
}());
