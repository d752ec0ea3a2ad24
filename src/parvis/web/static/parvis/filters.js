// Filters panels: closed on a phone (one button, the count of criteria set), open on wider screens.
(function () {
  var wide = window.matchMedia("(min-width: 40rem)");
  function apply() {
    document.querySelectorAll("details[data-open-wide]").forEach(function (panel) {
      if (wide.matches) panel.open = true;
    });
  }
  apply();
  wide.addEventListener("change", apply);
})();
