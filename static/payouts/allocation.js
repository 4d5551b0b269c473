// Polls the run's status JSON and moves the progress bar; reloads once the run ends so
// the server-rendered result appears. No library, no CDN.
(function () {
  "use strict";
  var box = document.getElementById("alloc-progress");
  if (!box) return;
  var bar = box.querySelector("progress");
  var statusEl = box.querySelector(".alloc-status");
  var messageEl = box.querySelector(".alloc-message");
  var finished = function (s) { return s === "done" || s === "failed"; };
  if (finished(box.dataset.status)) return;
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        bar.value = data.progress;
        bar.textContent = data.progress + "%";
        statusEl.textContent = data.status_label;
        messageEl.textContent = data.message;
        if (finished(data.status)) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
