// Loaded by tests/bench/serve.mjs first in ackscope's <head>. It only listens:
// - the first render: when the first [data-testid="device"] enters the DOM, and the next
//   animation frame after it (performance.now() counts from the navigation start);
// - the wasm instance's exports (for its memory), from Trunk's TrunkApplicationStarted event.
(function () {
  var mo = new MutationObserver(function () {
    if (!document.querySelector('[data-testid="device"]')) return;
    mo.disconnect();
    window.__benchFirstDevice = performance.now();
    requestAnimationFrame(function () { window.__benchFirstDeviceFrame = performance.now(); });
  });
  mo.observe(document, { childList: true, subtree: true });
  addEventListener('TrunkApplicationStarted', function (e) {
    window.__benchWasm = e.detail && e.detail.wasm;
  });
})();
