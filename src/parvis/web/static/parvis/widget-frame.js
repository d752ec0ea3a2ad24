/* Inside the widget iframe: tell the host page our height so it can size the frame. */
(function () {
  function send() { window.parent.postMessage({ parvisHeight: document.documentElement.scrollHeight }, "*"); }
  window.addEventListener("load", send);
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.body);
})();
