// One click submits once: the button goes grey right after the form is sent, so a second
// tap on a slow phone connection does not send it again (the server is idempotent anyway).
document.querySelectorAll("form[data-once]").forEach(function (form) {
  form.addEventListener("submit", function () {
    var button = form.querySelector("button");
    setTimeout(function () {
      if (button) button.disabled = true;
    }, 0);
  });
});
