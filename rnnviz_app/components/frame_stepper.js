// rnnviz frame stepper: the keyboard and the "settled" report for a Plotly chart that carries its steps as
// animation frames (Plotly's own slider and Play/Pause move between them in the browser).
//
// Plotly sliders do not take keys, so ← → (and Home/End) move the chart's own slider by dispatching a
// pointer press on its rail at the tick of the wanted step — the same code path as a click — and space
// presses the chart's Play or Pause button. Nothing of this talks to the server. When the student has
// settled (no move for `settle_ms`, not playing), the step is reported once (a trigger value), so the
// server-side parts of the page (equations, URL) can follow; until then those parts are dimmed.
//
// data: {chart: layout.meta of the chart, frame: the server's 1-based step, frames: how many,
//        play: whether space plays, settle_ms, stale: element keys to dim while the chart is elsewhere}

const EDITABLE = "input, textarea, select, button, [contenteditable=''], [contenteditable='true'], " +
  "[role='slider'], [role='combobox'], [role='textbox'], [role='spinbutton']";

function findChart(meta) {
  const all = document.querySelectorAll(".js-plotly-plot");
  for (let i = all.length - 1; i >= 0; i--) {
    const gd = all[i];
    if (gd.layout && gd.layout.meta === meta && gd._fullLayout && gd.isConnected && typeof gd.on === "function") {
      return gd;
    }
  }
  return null;
}

function activeIndex(gd) {
  // The slider writes its position into gd.layout at once; _fullLayout catches up on the next frame.
  const s = (gd.layout && gd.layout.sliders && gd.layout.sliders[0]) ||
    (gd._fullLayout && gd._fullLayout.sliders && gd._fullLayout.sliders[0]);
  return s && Number.isInteger(s.active) ? s.active : 0;
}

function pressRail(gd, index) {
  // Plotly's slider reads the pointer's x on its rail and picks the nearest step.
  const rail = gd.querySelector(".slider-rail-touch-rect");
  const ticks = gd.querySelectorAll("rect.slider-tick-rect");
  if (!rail || !ticks[index]) return false;
  const t = ticks[index].getBoundingClientRect();
  const r = rail.getBoundingClientRect();
  const at = { bubbles: true, cancelable: true, view: window, button: 0, buttons: 1,
               clientX: t.left + t.width / 2, clientY: r.top + r.height / 2 };
  rail.dispatchEvent(new MouseEvent("mousedown", at));
  rail.dispatchEvent(new MouseEvent("mouseup", { ...at, buttons: 0 }));  // bubbles to the chart, which ends the drag
  return true;
}

function button(gd, label) {
  for (const b of gd.querySelectorAll("g.updatemenu-button")) {
    if ((b.textContent || "").includes(label)) return b;
  }
  return null;
}

function click(el) {
  if (el) el.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, view: window }));
}

// Streamlit calls the module again with new data on every rerun of the component, without cleaning up the
// previous call (its cleanup runs only when the component leaves the page): each call first tears down the
// one before it for the same component key, or listeners would pile up and report twice.
const LIVE = (window.__rnnvizSteppers = window.__rnnvizSteppers || new Map());

export default function (component) {
  const { data, setTriggerValue } = component;
  const id = component.key || data.chart;
  if (LIVE.has(id)) LIVE.get(id)();
  const settleMs = data.settle_ms || 1000;
  let gd = null;
  let playing = false;
  let restart = false;
  let timer = null;
  let reported = data.frame;
  let poll = null;

  const dim = (on) => {
    for (const key of data.stale || []) {
      for (const el of document.querySelectorAll(`.st-key-${key}`)) {
        el.style.transition = "opacity 0.15s";
        el.style.opacity = on ? "0.35" : "";
      }
    }
  };

  const settle = () => {
    clearTimeout(timer);
    timer = null;
    if (!gd || playing) return;
    const frame = activeIndex(gd) + 1;
    if (frame !== reported) {
      reported = frame;
      setTriggerValue("settled", frame);
    }
  };

  const moved = () => {
    if (!gd) return;
    dim(activeIndex(gd) + 1 !== data.frame);
    clearTimeout(timer);
    timer = playing ? null : setTimeout(settle, settleMs);
  };

  const onAnimated = () => {
    playing = false;
    moved();
  };
  const onInterrupted = () => {
    playing = false;
  };
  const onButton = (ev) => {
    const label = (ev && ev.button && ev.button.label) || "";
    if (label.includes("Play")) {
      playing = true;
      if (restart) {  // Play at the last step plays the sentence again from its first word
        restart = false;
        pressRail(gd, 0);
        setTimeout(() => click(button(gd, "Play")), 0);
      }
    } else if (label.includes("Pause")) {
      playing = false;
      moved();
    }
  };
  const onPress = (ev) => {  // capture phase: runs before Plotly's own click handler
    const b = ev.target && ev.target.closest && ev.target.closest("g.updatemenu-button");
    if (b && (b.textContent || "").includes("Play")) {
      restart = activeIndex(gd) >= data.frames - 1;
    }
  };

  const attach = (found) => {
    gd = found;
    gd.on("plotly_sliderchange", moved);
    gd.on("plotly_animatingframe", moved);
    gd.on("plotly_animated", onAnimated);
    gd.on("plotly_animationinterrupted", onInterrupted);
    gd.on("plotly_buttonclicked", onButton);
    gd.addEventListener("click", onPress, true);
    dim(activeIndex(gd) + 1 !== data.frame);
  };
  const detach = () => {
    if (!gd) return;
    gd.removeEventListener("click", onPress, true);
    if (typeof gd.removeListener !== "function") {  // Plotly.purge already dropped the chart's events
      gd = null;
      return;
    }
    gd.removeListener("plotly_sliderchange", moved);
    gd.removeListener("plotly_animatingframe", moved);
    gd.removeListener("plotly_animated", onAnimated);
    gd.removeListener("plotly_animationinterrupted", onInterrupted);
    gd.removeListener("plotly_buttonclicked", onButton);
    gd = null;
  };
  const current = () => {
    const found = findChart(data.chart);  // (a chart without Plotly's events is being torn down)
    if (found !== gd) {
      detach();
      if (found) attach(found);
    }
    if (gd && gd._fullLayout._currentFrame == null) {
      // Play continues from the frame shown (Plotly starts from the first one until a frame was visited)
      gd._fullLayout._currentFrame = String(activeIndex(gd) + 1);
    }
    return gd;
  };

  const onKey = (ev) => {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const target = ev.target;
    if (target && target.closest && target.closest(EDITABLE)) return;
    const g = current();
    if (!g) return;
    const last = data.frames - 1;
    const i = activeIndex(g);
    let to = null;
    if (ev.key === "ArrowRight") to = Math.min(i + 1, last);
    else if (ev.key === "ArrowLeft") to = Math.max(i - 1, 0);
    else if (ev.key === "Home") to = 0;
    else if (ev.key === "End") to = last;
    else if ((ev.key === " " || ev.code === "Space") && data.play) {
      ev.preventDefault();
      if (playing) click(button(g, "Pause"));
      else {
        restart = i >= last;
        click(button(g, "Play"));
      }
      return;
    } else return;
    ev.preventDefault();
    if (playing) click(button(g, "Pause"));
    if (to !== i) pressRail(g, to);
  };

  document.addEventListener("keydown", onKey);
  poll = setInterval(current, 250);  // the chart may be drawn after this runs, or redrawn by a rerun
  current();
  const teardown = () => {
    document.removeEventListener("keydown", onKey);
    clearInterval(poll);
    clearTimeout(timer);
    dim(false);
    detach();
    if (LIVE.get(id) === teardown) LIVE.delete(id);
  };
  LIVE.set(id, teardown);
  return teardown;
}
