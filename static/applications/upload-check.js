// Refuse a file over the size cap before it is sent: on a phone a 30 MB photo takes
// minutes to upload only to be refused at the end. The server checks again
// (applications/upload_handlers.py); without JS nothing here is needed.
document.querySelectorAll("form[data-max-bytes]").forEach(function (form) {
  var max = parseInt(form.getAttribute("data-max-bytes"), 10);
  var input = form.querySelector('input[type="file"]');
  var note = form.querySelector("[data-size-error]");
  var button = form.querySelector('button[type="submit"]');
  if (!input || !note || !max) return;
  function fits() {
    var file = input.files && input.files[0];
    var tooLarge = !!file && file.size > max;
    note.hidden = !tooLarge;
    if (button) button.disabled = tooLarge;
    return !tooLarge;
  }
  input.addEventListener("change", fits);
  form.addEventListener("submit", function (event) {
    if (!fits()) event.preventDefault();
  });
});
