// The 获取验证码 button waits out the minimum interval between two codes: the server
// refuses an earlier send anyway (and says how long to wait); this shows the wait as a
// countdown so nobody taps again and again. Without JavaScript the button stays usable.
document.querySelectorAll("button[data-countdown]").forEach(function (button) {
  var left = parseInt(button.getAttribute("data-countdown"), 10);
  if (!(left > 0)) return;
  var label = button.textContent;
  function tick() {
    if (left <= 0) {
      button.disabled = false;
      button.textContent = label;
      return;
    }
    button.disabled = true;
    button.textContent = left + " 秒后重新获取";
    left -= 1;
    setTimeout(tick, 1000);
  }
  tick();
});
