// A select that reloads its form when changed (the dashboard's programme picker); the
// form also has a button, so it works without JS.
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () {
    select.form.submit();
  });
});
