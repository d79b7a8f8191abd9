// Equations fit their column: a KaTeX display wider than its box is scaled down until it fits (never up), on
// every redraw and window resize, so nothing is clipped or scrolls sideways on a projector. Installed once
// per browser tab; Streamlit reruns replace the page's elements, the observer refits them.
(() => {
  if (window.__rnnvizFitEquations) return;
  window.__rnnvizFitEquations = true;
  const KATEX_EM = 1.21;  // KaTeX's own .katex font-size
  const MIN_SCALE = 0.45;  // below this an equation is unreadable: let it wrap instead
  const fit = () => {
    document.querySelectorAll('.katex-display').forEach((box) => {
      const k = box.querySelector(':scope > .katex');
      if (!k || box.clientWidth === 0) return;
      k.style.fontSize = '';
      const need = Math.max(k.scrollWidth, box.scrollWidth), room = box.clientWidth;
      if (need > room) {
        const scale = Math.max(MIN_SCALE, (room / need) * 0.97);
        k.style.fontSize = `${(KATEX_EM * scale).toFixed(3)}em`;
        if (k.scrollWidth > box.clientWidth) box.style.whiteSpace = 'normal';
      }
    });
  };
  let queued = false;
  const later = () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; fit(); }); } };
  // A chart that animates in the browser changes its own DOM on every step: that never moves an equation,
  // and refitting (which forces a layout) on each of those changes cost ~35 ms per step of the Forward page.
  const inChart = (r) => {  // (or already gone: Plotly fills some text nodes before it places them)
    const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    return !el || !el.isConnected || !!el.closest('.js-plotly-plot, #js-plotly-tester');
  };
  new MutationObserver((records) => { if (!records.every(inChart)) later(); })
    .observe(document.body, { childList: true, subtree: true });
  window.addEventListener('resize', later);
  later();
})();
