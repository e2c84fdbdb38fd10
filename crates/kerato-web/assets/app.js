// Keyboard shortcuts shown next to the controls they trigger: a key with
// data-shortcut="n" on a link or button activates it, unless the user is typing.
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  var el = document.querySelector('[data-shortcut="' + CSS.escape(event.key) + '"]');
  if (el) {
    event.preventDefault();
    el.click();
  }
});
