// The "Draw a digit" tab of "backprop serve --model FILE": shown when the
// served model reads 28×28 images. Drawing with a mouse, a finger or a
// pen sends the canvas as a PNG to POST /v1/predict as the stroke goes
// (one request at a time, the latest drawing next), and shows the class
// and the ten probabilities. The server reads the picture as MNIST made
// its digits (crop, fit into 20×20, centre of mass in 28×28), so the
// digit may be drawn anywhere and at any size.
"use strict";

(async function () {
  let info;
  try {
    const r = await fetch("/v1/model");
    if (!r.ok) return; // no model: no tab
    info = await r.json();
  } catch (e) {
    return;
  }
  if (!info.image_shape) return;

  const nav = document.querySelector("header nav");
  const main = document.querySelector("main");
  const tab = document.createElement("button");
  tab.id = "tab-draw";
  tab.className = "tab";
  tab.type = "button";
  tab.textContent = "Draw a digit";
  nav.appendChild(tab);

  const view = document.createElement("section");
  view.id = "view-draw";
  view.hidden = true;
  view.innerHTML = `
    <p>Draw a digit in the box; the model (<span id="draw-model"></span>) reads it as you draw.</p>
    <div class="draw">
      <div>
        <canvas id="draw-canvas" width="280" height="280" aria-label="drawing area"></canvas>
        <div><button id="draw-clear" type="button">Clear</button></div>
      </div>
      <div class="draw-out">
        <div class="draw-class-box">class <span id="draw-class">–</span></div>
        <p id="draw-error" class="error" role="alert"></p>
        <table id="draw-probs"><tbody></tbody></table>
      </div>
    </div>`;
  main.appendChild(view);
  document.getElementById("draw-model").textContent = `[${info.input_shape.join("×")}] → ${info.architecture}, ${info.parameters} parameters`;

  // One row per class: its label, a bar and the probability.
  const tbody = view.querySelector("#draw-probs tbody");
  const rows = info.labels.map((label, k) => {
    const tr = document.createElement("tr");
    tr.dataset.class = String(k);
    const name = document.createElement("th");
    name.textContent = label;
    const barCell = document.createElement("td");
    barCell.className = "bar-cell";
    const bar = document.createElement("div");
    bar.className = "bar";
    barCell.appendChild(bar);
    const p = document.createElement("td");
    p.className = "p";
    tr.append(name, barCell, p);
    tbody.appendChild(tr);
    return {tr, bar, p};
  });

  // Showing the tab hides the other views; the other tabs hide this one.
  const show = (on) => {
    view.hidden = !on;
    tab.classList.toggle("active", on);
    if (!on) return;
    for (const s of main.querySelectorAll(":scope > section")) if (s !== view) s.hidden = true;
    for (const t of nav.querySelectorAll(".tab")) if (t !== tab) t.classList.remove("active");
    if (typeof train !== "undefined") train.running = false; // the training view's loop (app.js)
  };
  tab.addEventListener("click", () => show(true));
  for (const t of nav.querySelectorAll(".tab")) if (t !== tab) t.addEventListener("click", () => show(false));

  // Drawing: white ink on black, as MNIST's digits are.
  const canvas = document.getElementById("draw-canvas");
  const ctx = canvas.getContext("2d");
  const clear = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  clear();
  let drawing = false, inked = false, last = null;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  };
  const line = (a, b) => {
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 20;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  };
  canvas.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    drawing = true;
    last = at(e);
    line(last, last);
    inked = true;
    predict();
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    const p = at(e);
    line(last, p);
    last = p;
    predict();
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    predict();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  // Predictions: one request at a time; a drawing made meanwhile is sent
  // when the answer comes.
  let busy = false, again = false, sent = 0;
  async function predict() {
    if (!inked) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    again = false;
    try {
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
      const r = await fetch("/v1/predict", {method: "POST", headers: {"Content-Type": "image/png"}, body: blob});
      sent++;
      view.dataset.predictions = String(sent);
      const data = await r.json();
      if (!r.ok) throw new Error(data.error || `HTTP ${r.status}`);
      showPrediction(data.predictions[0]);
    } catch (err) {
      document.getElementById("draw-error").textContent = String(err.message || err);
    } finally {
      busy = false;
      if (again) predict();
    }
  }

  function showPrediction(p) {
    document.getElementById("draw-error").textContent = "";
    document.getElementById("draw-class").textContent = p.label;
    p.probabilities.forEach((v, k) => {
      rows[k].bar.style.width = (100 * v).toFixed(1) + "%";
      rows[k].p.textContent = v.toFixed(3);
      rows[k].tr.classList.toggle("best", k === p.class);
    });
  }

  document.getElementById("draw-clear").addEventListener("click", () => {
    clear();
    inked = false;
    again = false;
    document.getElementById("draw-class").textContent = "–";
    document.getElementById("draw-error").textContent = "";
    for (const r of rows) {
      r.bar.style.width = "0";
      r.p.textContent = "";
      r.tr.classList.remove("best");
    }
  });
})();
