// Equations fit their column: a KaTeX display wider than its box is scaled down until it fits (never up), on
// every redraw, column and window resize, so nothing is clipped or scrolls sideways on a projector.
// Installed once per browser tab; Streamlit reruns replace the page's elements, the observer refits them.
(() => {
  if (window.__rnnvizFitEquations) return;
  window.__rnnvizFitEquations = true;
  const KATEX_EM = 1.21;  // KaTeX's own .katex font-size
  const MIN_SCALE = 0.45;  // below this an equation is unreadable: let it wrap instead
  // Fit the given boxes in three passes (reset, measure, scale), so the browser lays the page out a fixed
  // number of times per batch rather than once per equation; only equations that appeared or changed are
  // refitted (every one on a resize): refitting all of them on every change of the page cost up to ~0.8 s
  // while a page was loading.
  const fit = (boxes) => {
    const todo = boxes.filter((box) => box.isConnected && box.querySelector(':scope > .katex'));
    todo.forEach((box) => {
      const k = box.querySelector(':scope > .katex');
      if (k.style.fontSize) k.style.fontSize = '';  // (only a real change: a no-op write still costs a layout)
    });
    const sized = todo.map((box) => {
      const k = box.querySelector(':scope > .katex');
      return [box, k, Math.max(k.scrollWidth, box.scrollWidth), box.clientWidth];
    }).filter(([, , need, room]) => room > 0 && need > room);
    sized.forEach(([, k, need, room]) => {
      const scale = Math.max(MIN_SCALE, (room / need) * 0.97);
      k.style.fontSize = `${(KATEX_EM * scale).toFixed(3)}em`;
    });
    sized.filter(([box, k]) => k.scrollWidth > box.clientWidth)
      .forEach(([box]) => { box.style.whiteSpace = 'normal'; });
  };
  const pending = new Set();
  let queued = false;
  let watched = false;
  const queue = (boxes) => {
    if (!watched && window.ResizeObserver) {  // a column that changes width (the sidebar) refits everything
      const main = document.querySelector('[data-testid="stMain"]');
      if (main) { new ResizeObserver(() => queue(all())).observe(main); watched = true; }
    }
    boxes.forEach((box) => pending.add(box));
    if (!queued && pending.size) {
      queued = true;
      requestAnimationFrame(() => { queued = false; const boxes = [...pending]; pending.clear(); fit(boxes); });
    }
  };
  const all = () => [...document.querySelectorAll('.katex-display')];
  const later = () => queue(all());
  // The equations a change touched: added (or inside something added), or whose content changed. A chart
  // that animates in the browser changes its own DOM on every step: never an equation.
  const touched = (records) => {
    const boxes = [];
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (!el || !el.isConnected || el.closest('.js-plotly-plot, #js-plotly-tester')) continue;
      const around = el.closest('.katex-display');
      if (around) boxes.push(around);
      r.addedNodes.forEach((n) => {
        if (n.nodeType !== 1) return;
        if (n.matches('.katex-display')) boxes.push(n);
        boxes.push(...n.querySelectorAll('.katex-display'));
      });
    }
    return boxes;
  };
  new MutationObserver((records) => queue(touched(records)))
    .observe(document.body, { childList: true, subtree: true });
  window.addEventListener('resize', later);
  later();
})();
