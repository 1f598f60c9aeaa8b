// simsrc explore: the page. Hand-written, no libraries: the controls, the URL state, the
// requests to /api/gait and the SVG drawings (runner, energy bars, ground-force curve).
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const TARGET = "target_speed_m_per_s";
const page = {
  meta: null,            // /api/controls
  runners: { a: {}, b: {} },
  compare: false,
  editing: "a",
  lesson: null,
  answers: { a: null, b: null },
  errors: { a: null, b: null },
  seq: { a: 0, b: 0 },
  ready: false,
};

// ------------------------------------------------------------------ state <-> URL
function nonDefault(state) {
  const out = {};
  for (const [k, v] of Object.entries(state)) {
    if (String(v) !== String(page.meta.defaults[k] === null ? "off" : page.meta.defaults[k])) out[k] = v;
  }
  return out;
}
function query(state) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(nonDefault(state))) q.set(k, v === null ? "off" : v);
  return q;
}
function pageQuery() {
  const q = query(page.runners.a);
  if (page.compare) {
    q.set("compare", "1");
    for (const [k, v] of query(page.runners.b)) q.set("b." + k, v);
  }
  if (page.lesson) q.set("lesson", page.lesson);
  return q;
}
function writeUrl() {
  const q = pageQuery().toString();
  history.replaceState(null, "", q ? "?" + q : location.pathname);
  const a = query(page.runners.a).toString();
  document.getElementById("export-toml").href = "/api/export.toml" + (a ? "?" + a : "");
  document.getElementById("export-csv").href = "/api/export.csv" + (a ? "?" + a : "");
}
function readUrl() {
  const q = new URLSearchParams(location.search);
  const defaults = page.meta.defaults;
  page.runners.a = { ...defaults };
  page.runners.b = { ...defaults, surface: "sand" };
  let bGiven = false;
  for (const [k, v] of q) {
    if (k.startsWith("b.")) { bGiven = true; page.runners.b[k.slice(2)] = v; }
    else if (k === "compare") page.compare = v === "1";
    else if (k === "lesson") page.lesson = v;
    else page.runners.a[k] = v;
  }
  if (!bGiven) {
    page.runners.b = { ...page.runners.a, surface: page.runners.a.surface === "sand" ? "firm" : "sand" };
    for (const k of page.meta.surface_number_keys) page.runners.b[k] = "";
  }
}

// ------------------------------------------------------------------ controls
function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function buildControls() {
  const form = document.getElementById("controls");
  const groups = {};
  for (const c of page.meta.controls) {
    if (!groups[c.group]) {
      groups[c.group] = el("fieldset");
      groups[c.group].append(el("legend", {}, c.group));
      form.append(groups[c.group]);
    }
    const box = el("div", { class: "control", "data-key": c.key });
    const label = el("label", { for: "in-" + c.key });
    const name = el("span", {}, c.label);
    label.append(name);
    const right = el("span");
    if (c.key === "surface") {
      const sel = el("select", { id: "in-" + c.key, name: c.key });
      for (const s of page.meta.surfaces) sel.append(el("option", { value: s.name, title: s.description }, s.name));
      sel.addEventListener("change", () => {   // a new preset brings its own numbers
        for (const k of page.meta.surface_number_keys) page.runners[page.editing][k] = "";
        setValue(c.key, sel.value);
      });
      right.append(sel);
    } else if (c.choices && c.choices.length) {   // a choice key: foot strike, shoe
      const sel = el("select", { id: "in-" + c.key, name: c.key });
      for (const n of c.choices) sel.append(el("option", { value: n }, n));
      sel.addEventListener("change", () => setValue(c.key, sel.value));
      right.append(sel);
    } else {
      if (c.key === TARGET) {
        const hold = el("input", { type: "checkbox", id: "hold-speed", title: "hold a speed" });
        hold.addEventListener("change", () => {
          const text = document.getElementById("in-" + TARGET);
          setValue(TARGET, hold.checked ? (text.dataset.last || String(c.default)) : "off");
        });
        right.append(hold, " ");
      }
      const text = el("input", { type: "text", id: "in-" + c.key, name: c.key, inputmode: "decimal" });
      text.addEventListener("change", () => setValue(c.key, text.value.trim()));
      right.append(text, el("span", { class: "unit" }, " " + c.unit));
      const range = el("input", { type: "range", id: "range-" + c.key, min: c.low, max: c.high, step: c.step,
                                  "aria-label": c.label });
      range.addEventListener("input", () => setValue(c.key, range.value));
      box.append(label, range);
    }
    label.append(right);
    if (c.key === "surface" || (c.choices && c.choices.length)) box.append(label);
    box.append(el("div", { class: "solved" }), el("div", { class: "error" }),
               el("div", { class: "note" }, c.note));
    groups[c.group].append(box);
  }
}
function showControls() {
  const st = page.runners[page.editing];
  const held = st[TARGET] !== "off" && st[TARGET] !== null && st[TARGET] !== "";
  for (const c of page.meta.controls) {
    const box = document.querySelector(`.control[data-key="${c.key}"]`);
    const input = document.getElementById("in-" + c.key);
    const range = document.getElementById("range-" + c.key);
    let v = st[c.key];
    if (c.key === TARGET) {
      document.getElementById("hold-speed").checked = held;
      if (held) input.dataset.last = v;
      v = held ? v : "off";
    }
    const fromPreset = page.meta.surface_number_keys.includes(c.key) && (v === "" || v === null);
    if (fromPreset) {
      const preset = page.meta.surfaces.find(s => s.name === st.surface);
      let n = preset ? preset.numbers[c.key] : null;
      // a granular preset (sand): its numbers are per foot area, the runner's foot scales them
      if (n !== null && n !== undefined && preset.foot_of_mass_kg && c.key !== "surface_restitution"
          && !isNaN(parseFloat(st.mass_kg)))
        n = Number((n * Math.pow(parseFloat(st.mass_kg) / preset.foot_of_mass_kg,
                                 page.meta.foot_area_mass_exponent)).toPrecision(3));
      v = n === null || n === undefined ? "inf" : String(n);
      if (range) range.value = n === null ? c.high : n;
    }
    box.classList.toggle("from-preset", fromPreset);
    if (document.activeElement !== input) input.value = v;
    if (range && !fromPreset && !isNaN(parseFloat(v))) range.value = v;
    box.classList.toggle("disabled", isSolvedOrIdle(c, st, held));
  }
  showFieldError(page.errors[page.editing]);
  showSolved(page.answers[page.editing]);
  for (const b of document.querySelectorAll("#runner-tabs button"))
    b.classList.toggle("active", b.dataset.runner === page.editing);
  document.getElementById("runner-tabs").hidden = !page.compare;
  document.getElementById("compare").checked = page.compare;
}
// A control the runner's own control sets (greyed, the solved value shown under it), or one
// that does nothing in the chosen modes: while a speed is held, the foot placement sets the
// angle and the push or braking the energy; under Raibert's law the law sets the angle (the
// push is as set); the gain counts only under Raibert's law, the rate only in retraction.
function isSolvedOrIdle(c, st, held) {
  const raibert = st.foot_placement === "raibert";
  if (c.key === "placement_gain_s") return !raibert;
  if (c.key === "retraction_rate_deg_per_s") return st.mode !== "retraction";
  if (raibert) return c.key === "angle_of_attack_deg";
  return held && c.solved_when_held;
}
function showFieldError(err) {
  for (const box of document.querySelectorAll(".control")) {
    const mine = err && err.field === box.dataset.key;
    box.classList.toggle("invalid", !!mine);
    box.querySelector(".error").textContent = mine ? err.error : "";
  }
}
function showSolved(ans) {
  for (const box of document.querySelectorAll(".control")) box.querySelector(".solved").textContent = "";
  if (!ans || !ans.steady.converged) return;
  for (const s of Object.values(ans.steady.solved)) {
    if (!s.control) continue;
    const box = document.querySelector(`.control[data-key="${s.control}"] .solved`);
    if (box) box.textContent = `solved: ${fmt(s.value, s.unit === "deg" ? 1 : 3)} ${s.unit}`;
  }
}
function setValue(key, value) {
  page.runners[page.editing][key] = value;
  if (page.lesson) { page.lesson = null; }
  showControls();
  writeUrl();
  request(page.editing);
}

// ------------------------------------------------------------------ requests
let busy = 0;
function setStatus(text, isBusy) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.classList.toggle("busy", !!isBusy);
}
// One request per runner in flight: a control moved meanwhile sends the latest state when the
// answer comes (the server computes one gait at a time, so a backlog would only add lag).
const inflight = { a: false, b: false }, pending = { a: false, b: false };
async function request(which) {
  if (inflight[which]) { pending[which] = true; return; }
  inflight[which] = true;
  try { await send(which); } finally { inflight[which] = false; }
  if (pending[which]) { pending[which] = false; request(which); }
}
async function send(which) {
  const seq = ++page.seq[which];
  const q = query(page.runners[which]).toString();
  busy++;
  setStatus(page.ready ? "computing…" : "warming up…", true);
  const t0 = performance.now();
  let res, body;
  try {
    res = await fetch("/api/gait" + (q ? "?" + q : ""));
    body = await res.json();
  } catch (e) {
    body = { error: "the explorer's server did not answer (" + e + ")", field: null };
    res = { ok: false };
  }
  busy--;
  if (seq !== page.seq[which]) return;     // a newer request has been sent
  const ms = performance.now() - t0;
  if (res.ok) {
    page.answers[which] = body; page.errors[which] = null;
    setStatus(`${page.ready ? "ready" : "warming up…"}; answered in ${ms.toFixed(0)} ms`, !page.ready);
  } else {
    page.errors[which] = body;
    setStatus(busy ? "computing…" : "ready", busy > 0);
  }
  render(which);
  if (which === page.editing) showControls();
}
function requestAll() {
  request("a");
  if (page.compare) request("b");
}
async function pollStatus() {
  const r = await fetch("/api/status");
  const s = await r.json();
  page.ready = s.ready;
  if (s.phase === "failed") setStatus("warm-up failed: " + s.error, true);
  else if (!s.ready) {
    setStatus(`warming up… ${s.seconds ?? 0} s (compiling the model: about 10 s the first time, a few seconds later)`, true);
    setTimeout(pollStatus, 500);
  } else if (!busy) setStatus("ready", false);
}

// ------------------------------------------------------------------ views
function fmt(v, digits) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  const s = Number(v).toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}
function digitsOf(f) { const m = /\.(\d+)f/.exec(f); return m ? parseInt(m[1]) : 3; }
function views() {
  const box = document.getElementById("runners");
  const want = page.compare ? ["a", "b"] : ["a"];
  for (const v of [...box.children]) if (!want.includes(v.dataset.runner)) v.remove();
  for (const w of want) {
    if (!box.querySelector(`[data-runner="${w}"]`)) {
      const node = document.getElementById("runner-view").content.firstElementChild.cloneNode(true);
      node.dataset.runner = w;
      box.append(node);
    }
  }
  return want.map(w => box.querySelector(`[data-runner="${w}"]`));
}
function title(which) {
  const st = page.runners[which];
  const free = st[TARGET] === "off" || st[TARGET] === null;
  const speed = st.foot_placement === "raibert" ? `Raibert placement aiming at ${free ? page.meta.defaults[TARGET] : st[TARGET]} m/s`
              : free ? "free speed" : `${st[TARGET]} m/s held`;
  const landing = st.mode === "retraction" ? `, retracting ${st.retraction_rate_deg_per_s}°/s` : "";
  const name = page.compare ? `runner ${which.toUpperCase()}: ` : "";
  const own = [["surface_stiffness_kn_per_m", "kN/m"], ["surface_damping_n_s_per_m", "N·s/m"],
               ["surface_restitution", "r"]].filter(([k]) => st[k] !== "" && st[k] !== null && st[k] !== undefined)
              .map(([k, u]) => u === "r" ? `r ${st[k]}` : `${st[k]} ${u}`);
  const surface = own.length ? `${st.surface} (${own.join(", ")})` : st.surface;
  return `${name}${surface}, ${st.leg_stiffness_kn_per_m} kN/m, slope ${st.slope_deg}°, ${speed}${landing}`;
}
function render(which) {
  const node = views().find(n => n.dataset.runner === which);
  if (!node) return;
  node.querySelector(".runner-title").textContent = title(which);
  const msg = node.querySelector(".message");
  const err = page.errors[which], ans = page.answers[which];
  msg.hidden = true; msg.className = "message";
  if (err) {
    msg.hidden = false; msg.classList.add("error");
    msg.textContent = "Not computed: " + err.error;
  } else if (ans && !ans.steady.converged) {
    msg.hidden = false;
    msg.textContent = `No steady gait: ${ans.steady.message}.` + (ans.steady.hint ? " " + ans.steady.hint + "." : "") +
      ` The animation shows the steps from the start instead (${ans.animation.status.join(", ")}).`;
  }
  node.dataset.converged = ans ? String(ans.steady.converged) : "";
  if (!ans) return;
  drawBars(node.querySelector(".bars"), ans);
  drawForce(node.querySelector(".curve"), ans);
  drawNumbers(node.querySelector(".numbers tbody"), ans);
  node.anim = prepareScene(node.querySelector(".scene"), ans);
}
function drawNumbers(tbody, ans) {
  tbody.textContent = "";
  const m = ans.steady.metrics, ok = ans.steady.converged;
  const add = (key, label, value, unit) => {
    const tr = el("tr", { "data-metric": key });
    tr.append(el("td", {}, label), el("td", { class: "v", "data-value": value === null ? "" : String(value) },
      typeof value === "number" ? value : (value ?? "–")), el("td", {}, unit));
    tbody.append(tr);
  };
  for (const [key, label, unit, f] of ans.steady.rows) {
    const v = ok ? m[key] : null;
    const tr = el("tr", { "data-metric": key });
    tr.append(el("td", {}, label), el("td", { class: "v", "data-value": v === null ? "" : String(v) }, fmt(v, digitsOf(f))),
              el("td", {}, unit));
    tbody.append(tr);
  }
  const e = ans.steady.energy;
  const ret = ok ? e.return_ratio : null;
  const tr = el("tr", { "data-metric": "energy_return_ratio" });
  tr.append(el("td", {}, "energy return (returned / stored)"),
            el("td", { class: "v", "data-value": ret === null ? "" : String(ret) }, ret === null ? "–" : fmt(100 * ret, 1)),
            el("td", {}, "%"));
  tbody.append(tr);
  for (const s of Object.values(ans.steady.solved))
    add("solved", `${s.label} (solved)`, ok ? fmt(s.value, s.unit === "deg" ? 1 : 3) : null, s.unit);
  if (ok && ans.impact) {
    if (!ans.impact.peak_found) add("impact_peak_bw", `impact (${ans.impact.foot_strike} strike)`,
                                    "no distinct impact peak", "");
    else for (const [key, label, unit, digits, v] of ans.impact.rows) add(key, label, fmt(v, digits), unit);
  }
  if (ok) add("stability", "stability", ans.steady.stability.verdict + " (|multipliers| " +
      ans.steady.stability.verdict_multipliers_abs.map(x => fmt(x, 4)).join(", ") + ")", "");
}
function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function drawBars(s, ans) {
  s.textContent = "";
  const e = ans.steady.energy, ok = ans.steady.converged;
  const items = [["stored", e.stored_j, "#4a7fb0"], ["returned", e.returned_j, "#4aa06a"],
                 ["lost", e.lost_j, "#c0504d"], ["injected", e.injected_j, "#e0a030"]];
  const top = Math.max(1, ...items.map(i => (ok && i[1]) || 0));
  items.forEach(([name, v, color], i) => {
    const x = 20 + i * 75, h = ok && v ? 120 * v / top : 0;
    s.append(svg("rect", { x, y: 140 - h, width: 50, height: h, fill: color, class: "bar-" + name }));
    s.append(svg("text", { x: x + 25, y: 158, "text-anchor": "middle", "font-size": 12 }, name));
    s.append(svg("text", { x: x + 25, y: 134 - h, "text-anchor": "middle", "font-size": 11 }, ok ? fmt(v, 1) : "–"));
  });
  s.append(svg("line", { x1: 10, x2: 310, y1: 140, y2: 140, stroke: "#333" }));
}
function drawForce(s, ans) {
  s.textContent = "";
  const a = ans.animation, w = a.weight_n;
  const t = [], fv = [], fh = [];
  a.phase[0].forEach((ph, j) => {
    if (ph === 1 && a.t_s[0][j] !== null) { t.push(a.t_s[0][j]); fv.push(a.vertical_force_n[0][j] / w); fh.push(a.horizontal_force_n[0][j] / w); }
  });
  const X = v => 35 + 270 * (v - t[0]) / Math.max(1e-9, t[t.length - 1] - t[0]);
  const top = Math.max(1, ...fv.map(Math.abs), ...fh.map(Math.abs));
  const Y = v => 130 - 110 * v / top;
  s.append(svg("line", { x1: 35, x2: 305, y1: Y(0), y2: Y(0), stroke: "#333" }));
  s.append(svg("line", { x1: 35, x2: 35, y1: 10, y2: 160, stroke: "#333" }));
  for (const g of [1, 2, 3, 4].filter(g => g <= top)) {
    s.append(svg("line", { x1: 32, x2: 305, y1: Y(g), y2: Y(g), stroke: "#ddd" }));
    s.append(svg("text", { x: 28, y: Y(g) + 4, "text-anchor": "end", "font-size": 10 }, g));
  }
  if (t.length > 1) {
    s.append(svg("polyline", { points: t.map((v, i) => `${X(v)},${Y(fv[i])}`).join(" "), fill: "none", stroke: "#24425e", "stroke-width": 2, class: "fv" }));
    s.append(svg("polyline", { points: t.map((v, i) => `${X(v)},${Y(fh[i])}`).join(" "), fill: "none", stroke: "#c0504d", "stroke-width": 1.5 }));
    s.append(svg("text", { x: 300, y: 160, "text-anchor": "end", "font-size": 10 }, `${fmt(1000 * (t[t.length - 1] - t[0]), 0)} ms`));
  } else {
    s.append(svg("text", { x: 160, y: 80, "text-anchor": "middle", "font-size": 12 }, "no stance to show"));
  }
  s.append(svg("text", { x: 300, y: 18, "text-anchor": "end", "font-size": 11, fill: "#24425e" }, "vertical"));
  s.append(svg("text", { x: 300, y: 32, "text-anchor": "end", "font-size": 11, fill: "#c0504d" }, "horizontal"));
}

// ------------------------------------------------------------------ the animated runner
function prepareScene(s, ans) {
  const a = ans.animation;
  const frames = [];
  let t0 = 0;
  for (let i = 0; i < a.n_steps; i++) {
    for (let j = 0; j < a.t_s[i].length; j++) {
      if (a.t_s[i][j] === null || a.x_m[i][j] === null) continue;
      frames.push({ t: t0 + a.t_s[i][j], x: a.x_m[i][j], y: a.y_m[i][j], sink: a.sink_m[i][j] || 0,
        ph: a.phase[i][j], fv: a.vertical_force_n[i][j] || 0, fh: a.horizontal_force_n[i][j] || 0, step: i });
    }
    if (a.step_time_s[i] === null) break;
    t0 += a.step_time_s[i];
  }
  s.textContent = "";
  const world = svg("g", { class: "world" });
  s.append(world);
  const ground = svg("g", { class: "ground" });
  world.append(ground);
  const leg = svg("polyline", { fill: "none", stroke: "#333", "stroke-width": 2.5, "stroke-linejoin": "round", class: "leg" });
  // the other leg, swinging forward from its liftoff to where it will land (drawn, not
  // simulated: the fixed and retraction modes have no leg mass; swingAngle)
  const swing = svg("polyline", { fill: "none", stroke: "#8c8c8c", "stroke-width": 2.5, "stroke-linejoin": "round", "stroke-linecap": "round", class: "swing-leg" });
  const arrow = svg("line", { stroke: "#c0504d", "stroke-width": 3, "marker-end": "url(#head)", class: "force-arrow" });
  const body = svg("circle", { r: 11, fill: "#24425e", class: "body" });
  const defs = svg("defs");
  const marker = svg("marker", { id: "head", markerWidth: 6, markerHeight: 6, refX: 3, refY: 3, orient: "auto" });
  marker.append(svg("path", { d: "M0,0 L6,3 L0,6 z", fill: "#c0504d" }));
  defs.append(marker);
  s.append(defs);
  const dent = svg("path", { fill: "none", stroke: "#8a6d3b", "stroke-width": 2, class: "sink" });
  world.append(dent, swing, leg, arrow, body);
  const scale = 160;                      // px per m
  const xEnd = frames.length ? frames[frames.length - 1].x : 0;
  // the ground, with a footprint where a step left one (depth drawn to scale)
  const gx0 = -2, gx1 = xEnd + 4;
  let d = `M${gx0 * scale},0`;
  const prints = [];
  for (let i = 0; i < a.n_steps; i++) {
    const fx = a.foot_x_m[i], depth = a.footprint_depth_m[i];
    if (fx === null || !(depth > 1e-4)) continue;
    prints.push(fx);
    d += ` L${(fx - 0.09) * scale},0 Q${fx * scale},${2 * depth * scale} ${(fx + 0.09) * scale},0`;
    ground.append(svg("path", { class: "footprint", d: `M${(fx - 0.09) * scale},0 Q${fx * scale},${2 * depth * scale} ${(fx + 0.09) * scale},0`, fill: "#d9b77a", stroke: "#8a6d3b" }));
  }
  d += ` L${gx1 * scale},0`;
  const surfaceColor = { sand: "#e8d3a0", grass: "#9fc27a", rigid: "#999", firm: "#aaa", track: "#c66", soft_track: "#d88" };
  ground.prepend(svg("rect", { x: gx0 * scale, y: 0, width: (gx1 - gx0) * scale, height: 200, fill: surfaceColor[ans.state.surface] || "#bbb", opacity: 0.5 }));
  ground.append(svg("path", { d, fill: "none", stroke: "#555", "stroke-width": 1.5 }));
  for (let k = Math.floor(gx0); k < gx1; k++) ground.append(svg("line", { x1: k * scale, x2: k * scale, y1: 0, y2: 6, stroke: "#555" }));
  const slope = a.slope_rad * 180 / Math.PI;
  const L0 = a.leg_length_m, W = a.weight_n;
  const duration = frames.length ? frames[frames.length - 1].t : 0;
  // each step's liftoff: its time and the leg's angle from the vertical (forward positive)
  const lo = [], phiLo = [];
  for (const fr of frames) {
    if (fr.ph !== 1 || a.foot_x_m[fr.step] === null) continue;
    lo[fr.step] = fr.t;
    phiLo[fr.step] = Math.atan2(a.foot_x_m[fr.step] - fr.x, fr.y + fr.sink);
  }
  const state = { frames, duration, start: performance.now(), s, world, leg, swing, arrow, body, dent, scale, slope, L0, W, a, lo, phiLo, period: a.step_time_s[0] };
  drawFrame(state, 0);
  return state;
}
function springPoints(x0, y0, x1, y1, coils) {
  const dx = x1 - x0, dy = y1 - y0, len = Math.hypot(dx, dy), ux = dx / len, uy = dy / len;
  const pts = [[x0, y0]];
  const a = 0.2, b = 0.85, n = coils * 2;
  pts.push([x0 + dx * a, y0 + dy * a]);
  for (let k = 1; k < n; k++) {
    const f = a + (b - a) * k / n, side = (k % 2 ? 1 : -1) * 6;
    pts.push([x0 + dx * f - uy * side, y0 + dy * f + ux * side]);
  }
  pts.push([x0 + dx * b, y0 + dy * b], [x1, y1]);
  return pts.map(p => p.join(",")).join(" ");
}
function swingAngle(st, t) {
  // The swinging leg at time t: the leg of the last step j to lift off (at lo[j]) turns from
  // its liftoff angle to the landing angle of step j + 2, which it reaches at the next
  // liftoff (lo[j + 1]), the knee bent on the way (its length 1 - 0.35 sin(pi s) of the
  // leg's); then it waits, extended, for its touchdown (drawFrame's flight branch). Before the
  // first liftoff and after the last, the steady gait's period stands in for the missing step.
  const lo = st.lo, a = st.a, T = st.period;
  const n = lo.length;
  if (!n || lo[0] === undefined || !(T > 0)) return null;
  let j = -1;
  while (j + 1 < n && lo[j + 1] !== undefined && lo[j + 1] <= t) j++;
  const t0 = j >= 0 ? lo[j] : lo[0] - T;
  const t1 = (j + 1 < n && lo[j + 1] !== undefined) ? lo[j + 1] : t0 + T;
  const from = st.phiLo[Math.max(j, 0)];
  const landings = a.landing_angle_rad.filter(v => v !== null);
  const to = a.landing_angle_rad[j + 2] ?? landings[landings.length - 1];
  if (from === undefined || to === undefined) return null;
  const u = Math.min(1, Math.max(0, (t - t0) / (t1 - t0)));
  const ease = 0.5 * (1 - Math.cos(Math.PI * u));
  return { phi: from + (to - from) * ease, length: 1 - 0.35 * Math.sin(Math.PI * u) };
}
function drawFrame(st, tau) {
  const f = st.frames;
  if (!f.length) return;
  let i = 0;
  while (i < f.length - 1 && f[i + 1].t <= tau) i++;
  const p = f[i], S = st.scale, a = st.a;
  const X = p.x * S, Y = -p.y * S;
  st.world.setAttribute("transform", `translate(${400 - X * Math.cos(st.slope * Math.PI / 180)},225) rotate(${-st.slope})`);
  st.body.setAttribute("cx", X); st.body.setAttribute("cy", Y);
  let fx, fy;
  if (p.ph === 1 && a.foot_x_m[p.step] !== null) {
    fx = a.foot_x_m[p.step] * S; fy = p.sink * S;
    st.arrow.setAttribute("x1", fx); st.arrow.setAttribute("y1", fy);
    st.arrow.setAttribute("x2", fx + 0.25 * S * p.fh / st.W); st.arrow.setAttribute("y2", fy - 0.25 * S * p.fv / st.W);
    st.arrow.setAttribute("visibility", "visible");
    // the ground under the foot, sinking as it is loaded (to scale)
    st.dent.setAttribute("d", `M${fx - 0.12 * S},0 Q${fx},${2 * fy} ${fx + 0.12 * S},0`);
    st.dent.setAttribute("visibility", p.sink > 1e-4 ? "visible" : "hidden");
  } else {
    st.dent.setAttribute("visibility", "hidden");
    const beta = a.landing_angle_rad[Math.min(p.step + (p.ph === 2 ? 1 : 0), a.n_steps - 1)] ?? a.landing_angle_rad[0] ?? 0;
    fx = X + st.L0 * S * Math.sin(beta); fy = Y + st.L0 * S * Math.cos(beta);
    st.arrow.setAttribute("visibility", "hidden");
  }
  st.leg.setAttribute("points", springPoints(X, Y, fx, fy, 6));
  const sw = swingAngle(st, p.t);
  if (sw) {
    // hip, knee (bent forward), foot
    const l = st.L0 * S * sw.length, half = 0.5 * st.L0 * S;
    const sx = X + l * Math.sin(sw.phi), sy = Y + l * Math.cos(sw.phi);
    const mx = 0.5 * (X + sx), my = 0.5 * (Y + sy), c = Math.hypot(sx - X, sy - Y);
    const bend = Math.sqrt(Math.max(0, half * half - 0.25 * c * c));
    const kx = mx + bend * (sy - Y) / (c || 1), ky = my - bend * (sx - X) / (c || 1);
    st.swing.setAttribute("points", `${X},${Y} ${kx},${ky} ${sx},${sy}`);
    st.swing.setAttribute("visibility", "visible");
  } else {
    st.swing.setAttribute("visibility", "hidden");
  }
}
function animate(now) {
  // hold the picture while the server computes: the drawing would take CPU from the solve
  if (busy > 0) { requestAnimationFrame(animate); return; }
  for (const node of document.querySelectorAll(".runner")) {
    const st = node.anim;
    if (!st || !st.duration) continue;
    const slow = 0.25;   // a quarter of real time
    drawFrame(st, ((now - st.start) / 1000 * slow) % st.duration);
  }
  requestAnimationFrame(animate);
}

// ------------------------------------------------------------------ lessons
function buildLessons() {
  const list = document.getElementById("lesson-list");
  for (const l of page.meta.lessons) {
    const b = el("button", { type: "button", "data-lesson": l.id }, l.title);
    b.addEventListener("click", () => openLesson(l.id, true));
    list.append(b);
  }
}
function openLesson(id, apply) {
  const l = page.meta.lessons.find(x => x.id === id);
  const box = document.getElementById("lesson");
  if (!l) { box.hidden = true; return; }
  if (apply) {
    page.runners.a = { ...page.meta.defaults, ...l.setup };
    page.compare = !!l.compare;
    if (l.compare) page.runners.b = { ...page.runners.a, ...l.compare };
    page.editing = "a";
  }
  page.lesson = id;
  box.hidden = false;
  box.textContent = "";
  box.append(el("h3", {}, l.title), el("p", {}, "Question: " + l.question),
             el("p", {}, "Try: " + l.try), el("p", {}, "Look for: " + l.look_for));
  if (l.number) box.append(el("p", { class: "number" }, "The number: " + l.number));
  if (l.figure) box.append(el("p", { class: "figure" }, "The gallery's figure: " + l.figure));
  if (apply) { showControls(); writeUrl(); views(); requestAll(); }
}

// ------------------------------------------------------------------ start
async function main() {
  page.meta = await (await fetch("/api/controls")).json();
  for (const [k, v] of Object.entries(page.meta.defaults)) if (v === null) page.meta.defaults[k] = "off";
  buildControls();
  buildLessons();
  readUrl();
  document.getElementById("reset").addEventListener("click", () => {
    page.runners.a = { ...page.meta.defaults };
    page.runners.b = { ...page.meta.defaults, surface: "sand" };
    page.lesson = null;
    document.getElementById("lesson").hidden = true;
    showControls(); writeUrl(); requestAll();
  });
  document.getElementById("compare").addEventListener("change", e => {
    page.compare = e.target.checked;
    if (!page.compare) page.editing = "a";
    showControls(); writeUrl(); views(); requestAll();
  });
  for (const b of document.querySelectorAll("#runner-tabs button"))
    b.addEventListener("click", () => { page.editing = b.dataset.runner; showControls(); });
  document.getElementById("copy-link").addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(location.href); setStatus("link copied", false); }
    catch (e) { window.prompt("the link to this setup:", location.href); }
  });
  if (page.lesson) openLesson(page.lesson, false);
  showControls();
  writeUrl();
  views();
  pollStatus();
  requestAll();
  requestAnimationFrame(animate);
}
main();
