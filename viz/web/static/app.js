// The page of "backprop serve": draws a circuit, steps through its
// forward and backward passes, and trains the spiral network live.
"use strict";

const VALUE_COLOR = "#1a7f37", GRAD_COLOR = "#cf222e";
const $ = (id) => document.getElementById(id);

async function post(url, body) {
  const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  let data;
  try { data = await r.json(); } catch (e) { throw new Error(`${url}: HTTP ${r.status}`); }
  if (!r.ok) throw new Error(data.error || `HTTP ${r.status}`);
  return data;
}

// ---- tabs ----
function showTab(name) {
  for (const t of ["graph", "train"]) {
    $("view-" + t).hidden = t !== name;
    $("tab-" + t).classList.toggle("active", t === name);
  }
  if (name !== "train") train.running = false;
}
$("tab-graph").addEventListener("click", () => showTab("graph"));
$("tab-train").addEventListener("click", () => {
  showTab("train");
  if (!train.session) trainTick(0);
});

// ---- circuit view ----
const circuit = {data: null, k: 0, byId: {}, consumers: {}, zoom: 1, width: 0, height: 0};

// parseValues reads "x=-2 y=5 W=[[1,2],[3,4]]" into {x: "-2", ...}:
// names, "=", and a value that may hold spaces and line breaks inside
// brackets.
function parseValues(text) {
  const out = {};
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /[\s,;]/.test(text[i])) i++;
    if (i >= n) break;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*/.exec(text.slice(i));
    if (!m) throw new Error(`values: expected NAME=VALUE at "${text.slice(i, i + 12)}"`);
    i += m[0].length;
    let depth = 0, start = i;
    while (i < n && (depth > 0 || !/[\s,;]/.test(text[i]))) {
      if (text[i] === "[") depth++;
      if (text[i] === "]") depth--;
      i++;
    }
    out[m[1]] = text.slice(start, i).replace(/\s+/g, " ");
  }
  return out;
}

async function draw(ev) {
  if (ev) ev.preventDefault();
  $("error").textContent = "";
  let values;
  try {
    values = parseValues($("values").value);
    const data = await post("/api/graph", {expr: $("expr").value, values});
    circuit.data = data;
    circuit.byId = {};
    circuit.consumers = {};
    for (const n of data.nodes) {
      circuit.byId[n.id] = n;
      for (const id of n.inputs || []) circuit.consumers[id] = (circuit.consumers[id] || 0) + 1;
    }
    $("graph").innerHTML = data.svg;
    const svg = $("graph").querySelector("svg");
    if (svg) {
      // Graphviz gives the size in points; the page zooms from it rather
      // than shrinking the text to fit.
      const pt = (a) => parseFloat(svg.getAttribute(a)) * 4 / 3;
      circuit.width = pt("width");
      circuit.height = pt("height");
      svg.removeAttribute("width");
      svg.removeAttribute("height");
      // Fit a wide graph into the page down to three quarters of its size
      // (labels of about 14 px), and scroll beyond that.
      zoom(Math.min(1, Math.max(fitZoom(), 0.75)));
    }
    $("controls").hidden = false;
    $("grads").hidden = false;
    const tbody = $("grads").querySelector("tbody");
    tbody.textContent = "";
    for (const name of data.names) {
      const tr = document.createElement("tr");
      const node = data.nodes.find((n) => n.kind === "input" && n.label === name);
      for (const [cls, text] of [["name", name], ["value", node ? node.value : ""], ["grad", "…"]]) {
        const td = document.createElement("td");
        td.className = cls;
        td.textContent = text;
        if (cls === "grad") td.dataset.name = name;
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
    render(0);
  } catch (e) {
    $("error").textContent = e.message;
  }
}
$("graph-form").addEventListener("submit", draw);
// Ctrl+Enter in the values box draws, as Enter does in the expression.
$("values").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) draw(e); });

// ---- zoom: long expressions keep readable text and scroll ----
function fitZoom() {
  const box = $("graph").clientWidth - 2;
  return circuit.width > 0 && box > 0 ? box / circuit.width : 1;
}
function zoom(z) {
  const svg = $("graph").querySelector("svg");
  if (!svg || !circuit.width) return;
  circuit.zoom = Math.max(0.25, Math.min(4, z));
  svg.style.width = `${Math.round(circuit.width * circuit.zoom)}px`;
  svg.style.height = `${Math.round(circuit.height * circuit.zoom)}px`;
  $("zoom-level").textContent = `${Math.round(100 * circuit.zoom)}%`;
}
$("zoom-in").addEventListener("click", () => zoom(circuit.zoom * 1.25));
$("zoom-out").addEventListener("click", () => zoom(circuit.zoom / 1.25));
$("zoom-reset").addEventListener("click", () => zoom(1));
$("zoom-fit").addEventListener("click", () => zoom(fitZoom()));

function wireTexts(wireId) {
  const g = wireId && document.getElementById(wireId);
  if (!g) return {val: [], grd: []};
  const texts = [...g.querySelectorAll("text")];
  const fill = (t) => (t.getAttribute("fill") || "").toLowerCase();
  return {val: texts.filter((t) => fill(t) === VALUE_COLOR), grd: texts.filter((t) => fill(t) === GRAD_COLOR)};
}

// paren puts a negative number in parentheses for a sum: 1 + (-2).
const paren = (s) => (s.startsWith("-") ? `(${s})` : s);

// render shows the state after the first k steps.
function render(k) {
  const d = circuit.data;
  if (!d) return;
  k = Math.max(0, Math.min(k, d.steps.length));
  circuit.k = k;
  const forward = d.steps.filter((s) => s.pass === "forward").length;
  const values = {}, grads = {};
  for (const n of d.nodes) if (n.kind !== "gate") values[n.id] = n.value;
  const out = d.nodes[d.nodes.length - 1];
  for (let i = 0; i < k; i++) {
    const s = d.steps[i];
    if (s.pass === "forward") { values[s.node] = s.value; continue; }
    grads[out.id] = out.grad; // the seed ∂L/∂L = 1, once the backward pass starts
    const node = circuit.byId[s.node];
    node.inputs.forEach((inId, j) => { if (s.grad_so_far[j]) grads[inId] = s.grad_so_far[j]; });
  }
  for (const n of d.nodes) {
    const t = wireTexts(n.wire);
    for (const e of t.val) e.textContent = values[n.id] ?? "";
    for (const e of t.grd) e.textContent = grads[n.id] ?? "";
  }
  for (const g of document.querySelectorAll("#graph g.node")) g.classList.remove("current", "feeding");
  const info = $("step-info");
  info.textContent = "";
  const cur = k > 0 ? d.steps[k - 1] : null;
  if (cur) {
    const node = circuit.byId[cur.node];
    document.getElementById(node.id)?.classList.add("current");
    for (const id of node.inputs) document.getElementById(circuit.byId[id].wire || id)?.classList.add("feeding");
    const head = document.createElement("div");
    head.className = "head";
    head.append(`${cur.pass} · gate `);
    const b = document.createElement("b");
    b.textContent = node.label;
    head.append(b, ` (${node.gate})`);
    info.append(head);
    if (node.pattern) {
      const p = document.createElement("div");
      p.className = "pattern";
      p.textContent = `pattern: ${node.pattern}`;
      info.append(p);
    }
    const label = (id) => { const n = circuit.byId[id]; return n.kind === "gate" ? `${n.label}(…)` : n.label; };
    const body = document.createElement("div");
    body.className = "lines";
    if (cur.pass === "forward") {
      body.textContent = `inputs ${node.inputs.map((id) => `${label(id)} = ${values[id]}`).join(", ")}\nout = ${cur.value}`;
    } else {
      const lines = [`upstream gradient ∂L/∂out = ${cur.upstream}`];
      node.inputs.forEach((id, j) => {
        if (!cur.local[j]) { lines.push(`input ${label(id)}: no gradient (a constant)`); return; }
        lines.push(`input ${label(id)}: local ∂out/∂in = ${cur.local[j]}   × upstream ${cur.upstream} = ${cur.product[j]}`);
        const before = cur.grad_before ? cur.grad_before[j] : "";
        const fans = circuit.consumers[id] || 1;
        if (before) {
          lines.push(`  ${label(id)} fans out: the gradients add at the branch: ${before} + ${paren(cur.product[j])} = ${cur.grad_so_far[j]}`);
        } else if (fans > 1) {
          lines.push(`  → ∂L/∂${label(id)} so far = ${cur.grad_so_far[j]} (${label(id)} feeds ${fans} gates: their gradients add)`);
        } else {
          lines.push(`  → ∂L/∂${label(id)} = ${cur.grad_so_far[j]}`);
        }
      });
      body.textContent = lines.join("\n");
    }
    info.append(body);
  } else {
    info.textContent = "Press Step ▶ to run the forward pass one gate at a time, then the backward pass.";
  }
  const nb = d.steps.length - forward;
  let phase;
  if (k === 0) phase = "ready";
  else if (k <= forward) phase = `forward ${k}/${forward}`;
  else if (k < d.steps.length) phase = `backward ${k - forward}/${nb}`;
  else phase = "done";
  $("phase").textContent = phase;
  const done = k === d.steps.length;
  for (const td of $("grads").querySelectorAll("td.grad")) td.textContent = done ? d.grads[td.dataset.name] : "…";
  $("prev").disabled = $("first").disabled = k === 0;
  $("next").disabled = $("last").disabled = done;
}
$("first").addEventListener("click", () => render(0));
$("prev").addEventListener("click", () => render(circuit.k - 1));
$("next").addEventListener("click", () => render(circuit.k + 1));
$("last").addEventListener("click", () => render(Infinity));

// ---- training view ----
// gen counts resets: an answer for a network reset meanwhile is dropped.
const train = {session: "", running: false, busy: false, last: null, gen: 0, again: false};
const CLASS_COLORS = ["#e4572e", "#17bebb", "#ffc914"];
const CLASS_FILLS = ["#f7cdbf", "#c4eeed", "#fff0bf"];

// settings reads the training controls, checking each.
function settings() {
  const num = (id, lo, hi, what) => {
    const v = Number($(id).value);
    if (!($(id).value.trim() !== "" && v >= lo && v <= hi)) throw new Error(`${what}: want a number in [${lo}, ${hi}]`);
    return v;
  };
  return {lr: num("train-lr", 1e-4, 10, "learning rate"), hidden: Math.round(num("train-hidden", 1, 256, "hidden units")),
    reg: num("train-reg", 0, 1, "regularisation")};
}

async function trainTick(steps) {
  if (train.busy) {
    if (steps === 0) train.again = true; // a reset: redraw once the request in flight is answered
    return;
  }
  train.busy = true;
  const gen = train.gen;
  try {
    const body = {session: train.session, steps};
    if (!train.session) Object.assign(body, settings());
    const r = await post("/api/train", body);
    if (gen === train.gen) {
      train.session = r.session;
      train.last = r;
      drawTraining(r);
    }
  } catch (e) {
    train.running = false;
    $("train-status").textContent = e.message;
  } finally {
    train.busy = false;
  }
  if (train.again) {
    train.again = false;
    return trainTick(0);
  }
  if (train.running) {
    if (train.last && train.last.step >= 20000) train.running = false;
    else setTimeout(() => trainTick(10), 30);
  }
}

// niceTicks returns round values from lo to hi, about n of them: steps of
// 1, 2 or 5 times a power of ten.
function niceTicks(lo, hi, n) {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}
const tickLabel = (v) => String(Number(v.toPrecision(6)));

// axes draws a frame with ticks and labels around the area (x0, y0, w, h)
// of canvas context g, mapping [xlo, xhi] × [ylo, yhi] onto it.
function axes(g, box, xr, yr, xlabel, ylabel) {
  const [x0, y0, w, h] = box;
  g.strokeStyle = "#555";
  g.lineWidth = 1;
  g.strokeRect(x0 + 0.5, y0 + 0.5, w, h);
  g.fillStyle = "#333";
  g.font = "12px sans-serif";
  g.textAlign = "center";
  g.textBaseline = "top";
  for (const v of niceTicks(xr[0], xr[1], 5)) {
    const x = x0 + (v - xr[0]) / (xr[1] - xr[0]) * w;
    g.beginPath(); g.moveTo(x + 0.5, y0 + h); g.lineTo(x + 0.5, y0 + h + 5); g.stroke();
    g.fillText(tickLabel(v), x, y0 + h + 7);
  }
  g.fillText(xlabel, x0 + w / 2, y0 + h + 22);
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (const v of niceTicks(yr[0], yr[1], 4)) {
    const y = y0 + h - (v - yr[0]) / (yr[1] - yr[0]) * h;
    g.beginPath(); g.moveTo(x0 - 5, y + 0.5); g.lineTo(x0, y + 0.5); g.stroke();
    g.fillText(tickLabel(v), x0 - 7, y);
  }
  g.save();
  g.translate(12, y0 + h / 2);
  g.rotate(-Math.PI / 2);
  g.textAlign = "center";
  g.fillText(ylabel, 0, 0);
  g.restore();
}

function drawTraining(r) {
  const c = $("boundary"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  // The plane, with axes: left and bottom margins for the ticks.
  const B = [46, 10, c.width - 56, c.height - 56];
  const n = r.grid.length, cell = B[2] / n, cellH = B[3] / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      g.fillStyle = CLASS_FILLS[r.grid[i][j] % 3];
      g.fillRect(B[0] + j * cell, B[1] + i * cellH, cell + 1, cellH + 1);
    }
  }
  const px = (x) => B[0] + (x + r.extent) / (2 * r.extent) * B[2];
  const py = (y) => B[1] + (r.extent - y) / (2 * r.extent) * B[3];
  for (const [x, y, k] of r.points) {
    g.beginPath();
    g.arc(px(x), py(y), 3.5, 0, 2 * Math.PI);
    g.fillStyle = CLASS_COLORS[k % 3];
    g.fill();
    g.strokeStyle = "#333";
    g.stroke();
  }
  axes(g, B, [-r.extent, r.extent], [-r.extent, r.extent], "x₁", "x₂");

  const l = $("loss"), h = l.getContext("2d");
  h.clearRect(0, 0, l.width, l.height);
  const loss = r.loss || [];
  const L = [56, 12, l.width - 70, l.height - 60];
  const top = Math.max(...loss, 0.1) * 1.05, steps = Math.max(loss.length, 10);
  h.beginPath();
  loss.forEach((v, i) => {
    const x = L[0] + ((i + 1) / steps) * L[2], y = L[1] + L[3] - (v / top) * L[3];
    if (i === 0) h.moveTo(x, y); else h.lineTo(x, y);
  });
  h.strokeStyle = "#cf222e";
  h.lineWidth = 2;
  h.stroke();
  axes(h, L, [0, steps], [0, top], "step", "loss");
  const last = loss.length ? loss[loss.length - 1].toFixed(4) : "–";
  $("train-status").textContent = `step ${r.step} · loss ${last} · accuracy ${(100 * r.accuracy).toFixed(1)}% · ` +
    `2 → ${r.hidden} → 3, lr ${r.lr}, reg ${r.reg}`;
}

$("train-start").addEventListener("click", () => {
  if (train.running) return;
  train.running = true;
  trainTick(10);
});
$("train-pause").addEventListener("click", () => { train.running = false; });
function resetTraining() {
  train.running = false;
  train.session = "";
  train.gen++;
  trainTick(0);
}
$("train-reset").addEventListener("click", resetTraining);
// A new setting starts a new network.
for (const id of ["train-lr", "train-hidden", "train-reg"]) $(id).addEventListener("change", resetTraining);

draw();
