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

// The body map: a click on a drawing places the pin, filling the form's
// view and coordinates (thousandths of the drawing); the same fields can be
// typed, so the map is never the only way in.
document.addEventListener("click", function (event) {
  var map = event.target.closest && event.target.closest("svg[data-view]");
  if (!map) return;
  var box = map.getBoundingClientRect();
  var x = Math.round(((event.clientX - box.left) / box.width) * 1000);
  var y = Math.round(((event.clientY - box.top) / box.height) * 1000);
  var set = function (id, value) {
    var el = document.getElementById(id);
    if (el) el.value = String(value);
  };
  set("lesion-x", Math.max(0, Math.min(1000, x)));
  set("lesion-y", Math.max(0, Math.min(1000, y)));
  set("lesion-view", map.getAttribute("data-view"));
  // The part clicked names the region, and its side the laterality. On
  // drawings seen from the front the patient's right is on the viewer's
  // left, so a click left of the midline is the patient's right.
  var part = event.target.closest("[data-region]");
  if (part) set("region", part.getAttribute("data-region"));
  var sided = event.target.closest("[data-side]");
  var mirrored = map.getAttribute("data-mirrored") === "yes";
  var side = sided ? sided.getAttribute("data-side") : (x < 500) === mirrored ? "right" : "left";
  if (Math.abs(x - 500) < 20 && !sided) side = "midline";
  set("laterality", side);
  var pin = map.querySelector(".new-pin");
  if (pin) {
    pin.setAttribute("cx", String(x));
    pin.setAttribute("cy", String(y));
    pin.setAttribute("r", "14");
  }
});
