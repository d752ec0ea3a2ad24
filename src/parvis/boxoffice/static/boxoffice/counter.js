// The counter: print buttons, and the keyboard. After each htmx swap the focus goes back to the first
// tariff button (or the first payment button once something is in the basket), so a sale can be made
// from the keyboard alone: Tab/Enter on tariffs, then Enter on a payment method.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail.target || event.detail.target.id !== "counter") return;
    var pay = document.querySelector(".pay-buttons button");
    var tariff = document.querySelector(".tariff-buttons button:not([disabled])");
    var target = document.querySelector(".sale-done .button") || pay || tariff;
    if (target && document.activeElement === document.body) target.focus();
  });
})();
