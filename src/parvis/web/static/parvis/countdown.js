/* Shows the time left on a cart's hold; the server stays the judge of expiry. */
(function () {
  "use strict";
  var el = document.querySelector("[data-countdown]");
  if (!el) return;
  var end = Date.parse(el.getAttribute("data-countdown"));
  var out = el.querySelector("[data-countdown-left]");
  function tick() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    if (left === 0) { el.textContent = el.getAttribute("data-expired-text"); return; }
    out.textContent = "(" + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0") + ")";
    setTimeout(tick, 1000);
  }
  tick();
})();
