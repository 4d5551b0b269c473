/* Payout export progress in the admin: polls the JSON status endpoint while the Celery
   task runs, then shows the download link. Local script, no CDN. */
(function () {
  "use strict";
  var box = document.getElementById("payout-export");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector(".payout-progress");
  var label = box.querySelector(".payout-status");
  var message = box.querySelector(".payout-message");
  var link = box.querySelector(".payout-download");
  var button = box.querySelector(".payout-export-button");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        bar.value = data.progress;
        bar.textContent = data.progress + "%";
        label.textContent = data.status_display + " " + data.progress + "%";
        message.textContent = data.message || "";
        link.hidden = !data.download_url;
        // A failed export (an error, or its worker died) is offered again.
        if (data.status === "failed" && button) { button.textContent = button.getAttribute("data-rerun-label"); }
        if (data.status === "queued" || data.status === "running") {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  poll();
}());
