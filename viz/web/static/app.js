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
const circuit = {data: null, k: 0, byId: {}};

// parseValues reads "x=-2 y=5 W=[[1,2],[3,4]]" into {x: "-2", ...}:
// names, "=", and a value that may hold spaces inside brackets.
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
    out[m[1]] = text.slice(start, i);
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
    for (const n of data.nodes) circuit.byId[n.id] = n;
    $("graph").innerHTML = data.svg;
    const svg = $("graph").querySelector("svg");
    if (svg) { svg.removeAttribute("width"); svg.removeAttribute("height"); }
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

function wireTexts(wireId) {
  const g = wireId && document.getElementById(wireId);
  if (!g) return {val: [], grd: []};
  const texts = [...g.querySelectorAll("text")];
  const fill = (t) => (t.getAttribute("fill") || "").toLowerCase();
  return {val: texts.filter((t) => fill(t) === VALUE_COLOR), grd: texts.filter((t) => fill(t) === GRAD_COLOR)};
}

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
    head.append(`${cur.pass} · gate `);
    const b = document.createElement("b");
    b.textContent = node.label;
    head.append(b, ` (${node.gate})`);
    if (node.pattern) {
      const p = document.createElement("span");
      p.className = "pattern";
      p.title = node.pattern;
      p.textContent = node.pattern.split(":")[0];
      head.append(" · ", p);
    }
    info.append(head);
    const label = (id) => { const n = circuit.byId[id]; return n.kind === "gate" ? `${n.label}(…)` : n.label; };
    if (cur.pass === "forward") {
      info.append(`inputs ${node.inputs.map((id) => `${label(id)} = ${values[id]}`).join(", ")}\nout = ${cur.value}`);
    } else {
      const lines = [`upstream gradient ∂L/∂out = ${cur.upstream}`];
      node.inputs.forEach((id, j) => {
        if (!cur.local[j]) { lines.push(`input ${label(id)}: no gradient (a constant)`); return; }
        lines.push(`input ${label(id)}: local ∂out/∂in = ${cur.local[j]}   × upstream ${cur.upstream} = ${cur.product[j]}   → ∂L/∂in = ${cur.grad_so_far[j]}`);
      });
      info.append(lines.join("\n"));
    }
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
const train = {session: "", running: false, busy: false, last: null};
const CLASS_COLORS = ["#e4572e", "#17bebb", "#ffc914"];
const CLASS_FILLS = ["#f7cdbf", "#c4eeed", "#fff0bf"];

async function trainTick(steps) {
  if (train.busy) return;
  train.busy = true;
  try {
    const r = await post("/api/train", {session: train.session, steps});
    train.session = r.session;
    train.last = r;
    drawTraining(r);
    $("error").textContent = "";
  } catch (e) {
    train.running = false;
    $("train-status").textContent = e.message;
  } finally {
    train.busy = false;
  }
  if (train.running) {
    if (train.last && train.last.step >= 20000) train.running = false;
    else setTimeout(() => trainTick(10), 30);
  }
}

function drawTraining(r) {
  const c = $("boundary"), g = c.getContext("2d");
  const n = r.grid.length, cell = c.width / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      g.fillStyle = CLASS_FILLS[r.grid[i][j] % 3];
      g.fillRect(j * cell, i * cell, cell + 1, cell + 1);
    }
  }
  const px = (x) => (x + r.extent) / (2 * r.extent) * c.width;
  const py = (y) => (r.extent - y) / (2 * r.extent) * c.height;
  for (const [x, y, k] of r.points) {
    g.beginPath();
    g.arc(px(x), py(y), 3.5, 0, 2 * Math.PI);
    g.fillStyle = CLASS_COLORS[k % 3];
    g.fill();
    g.strokeStyle = "#333";
    g.stroke();
  }
  const l = $("loss"), h = l.getContext("2d");
  h.clearRect(0, 0, l.width, l.height);
  const pad = 30, W = l.width - pad - 10, H = l.height - 2 * pad;
  const max = Math.max(...r.loss, 1e-9), steps = Math.max(r.loss.length, 2);
  h.strokeStyle = "#999";
  h.strokeRect(pad, pad, W, H);
  h.fillStyle = "#333";
  h.font = "12px sans-serif";
  h.fillText(`loss (max ${max.toFixed(3)})`, pad, pad - 8);
  h.fillText(`step ${r.loss.length}`, pad + W - 60, pad + H + 20);
  h.beginPath();
  r.loss.forEach((v, i) => {
    const x = pad + (i / (steps - 1)) * W, y = pad + H - (v / max) * H;
    if (i === 0) h.moveTo(x, y); else h.lineTo(x, y);
  });
  h.strokeStyle = "#cf222e";
  h.lineWidth = 2;
  h.stroke();
  h.lineWidth = 1;
  const loss = r.loss.length ? r.loss[r.loss.length - 1].toFixed(4) : "–";
  $("train-status").textContent = `step ${r.step} · loss ${loss} · accuracy ${(100 * r.accuracy).toFixed(1)}%`;
}

$("train-start").addEventListener("click", () => {
  if (train.running) return;
  train.running = true;
  trainTick(10);
});
$("train-pause").addEventListener("click", () => { train.running = false; });
$("train-reset").addEventListener("click", () => {
  train.running = false;
  train.session = "";
  trainTick(0);
});

draw();
