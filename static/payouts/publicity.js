/* Live countdown on the public 公示 page. Without JS the server-rendered text stays. */
(function () {
  "use strict";
  var box = document.querySelector(".gs-countdown");
  if (!box) { return; }
  var ends = Date.parse(box.getAttribute("data-ends-at"));
  var text = box.querySelector(".gs-countdown-text");
  if (isNaN(ends) || !text) { return; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = Math.max(0, Math.floor((ends - Date.now()) / 1000));
    if (left === 0) {
      text.textContent = "公示期已结束";
      return;
    }
    var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
    var m = Math.floor(left % 3600 / 60), s = left % 60;
    text.textContent = "距公示结束还有 " + d + " 天 " + pad(h) + ":" + pad(m) + ":" + pad(s);
    window.setTimeout(tick, 1000);
  }
  tick();
}());
