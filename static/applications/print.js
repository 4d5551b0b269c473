// The "打印" button of the application form (no inline handlers: the pages run under a CSP).
document.querySelectorAll("button[data-print]").forEach(function (button) {
  button.addEventListener("click", function () {
    window.print();
  });
});
