/* Parvis agenda widget. Paste on your site:
   <div data-parvis-agenda="ORGANIZER-SLUG"></div><script src="{{ PARVIS_BASE_URL }}/widget.js" async></script> */
(function () {
  "use strict";
  var base = "{{ PARVIS_BASE_URL|escapejs }}";
  function mount(el) {
    if (el.getAttribute("data-parvis-mounted")) return;
    el.setAttribute("data-parvis-mounted", "1");
    var slug = encodeURIComponent(el.getAttribute("data-parvis-agenda"));
    var params = [];
    ["lieu", "genre", "lang"].forEach(function (k) {
      var v = el.getAttribute("data-" + k); if (v) params.push(k + "=" + encodeURIComponent(v));
    });
    var frame = document.createElement("iframe");
    frame.src = base + "/widget/" + slug + "/" + (params.length ? "?" + params.join("&") : "");
    frame.title = el.getAttribute("data-title") || "Agenda";
    frame.loading = "lazy";
    frame.style.cssText = "width:100%;border:0;min-height:320px";
    el.appendChild(frame);
    window.addEventListener("message", function (e) {
      if (e.origin !== base || e.source !== frame.contentWindow) return;
      if (e.data && e.data.parvisHeight) frame.style.height = e.data.parvisHeight + "px";
    });
  }
  var nodes = document.querySelectorAll("[data-parvis-agenda]");
  for (var i = 0; i < nodes.length; i++) mount(nodes[i]);
})();
