// A little help on top of pages that work without it: the sort menu applies itself, and "/"
// jumps to the search box. No data is read or sent here.
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
document.addEventListener("keydown", function (event) {
  var box = document.querySelector(".searchbox input[name=q]");
  var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
  if (event.key === "/" && box && !typing) {
    event.preventDefault();
    box.focus();
    box.select();
  }
});
