// numkeras serve: draw a digit, send it to /api/predict, show what the model reads.
"use strict";

const PREDICT_EVERY_MS = 150;  // at most one request per 150 ms while drawing, and one at the end

const pad = document.getElementById("pad");
const ink = pad.getContext("2d");
const seen = document.getElementById("seen");
const answer = document.getElementById("answer");
const digit = document.getElementById("digit");
const confidence = document.getElementById("confidence");
const bars = Array.from(document.querySelectorAll("#bars li"));
const status = document.getElementById("status");

// ---- drawing -------------------------------------------------------------------------------
let drawing = false;
let last = null;
let empty = true;

function clearPad() {
  ink.fillStyle = "#fff";
  ink.fillRect(0, 0, pad.width, pad.height);
  ink.strokeStyle = "#000";
  ink.fillStyle = "#000";
  ink.lineWidth = pad.width / 14;
  ink.lineCap = "round";
  ink.lineJoin = "round";
  empty = true;
  seen.getContext("2d").clearRect(0, 0, seen.width, seen.height);
  digit.textContent = "?";
  confidence.textContent = "Draw a digit to start.";
  showBars(null, -1);
  status.textContent = "";
  setState("empty");
}

function padPoint(event) {
  const box = pad.getBoundingClientRect();
  return {
    x: (event.clientX - box.left) * (pad.width / box.width),
    y: (event.clientY - box.top) * (pad.height / box.height),
  };
}

function dot(p) {
  ink.beginPath();
  ink.arc(p.x, p.y, ink.lineWidth / 2, 0, 2 * Math.PI);
  ink.fill();
}

function segment(from, to) {
  ink.beginPath();
  ink.moveTo(from.x, from.y);
  ink.lineTo(to.x, to.y);
  ink.stroke();
}

pad.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  drawing = true;
  empty = false;
  last = padPoint(event);
  dot(last);
  schedule();
});

pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  // A pen or a fast mouse moves several times per frame; coalesced events keep every point.
  const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const move of moves.length ? moves : [event]) {
    const p = padPoint(move);
    segment(last, p);
    last = p;
  }
  schedule();
});

for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => {
    if (!drawing) return;
    drawing = false;
    schedule();
  });
}

document.getElementById("clear").addEventListener("click", clearPad);

// ---- asking the server ----------------------------------------------------------------------
let timer = null;
let inFlight = false;
let stale = false;  // the drawing changed while a request was on its way

function setState(state) {
  answer.dataset.state = state;
}

function schedule() {
  setState("waiting");
  if (timer === null) timer = setTimeout(sendDrawing, PREDICT_EVERY_MS);
}

function sendDrawing() {
  timer = null;
  if (empty) return;
  if (inFlight) {
    stale = true;
    return;
  }
  inFlight = true;  // already, while the PNG is being encoded
  pad.toBlob((blob) => ask({ method: "POST", headers: { "Content-Type": "image/png" }, body: blob }),
             "image/png");
}

async function ask(request) {
  inFlight = true;
  try {
    const response = await fetch("/api/predict", request);
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail || `HTTP ${response.status}`);
    show(body);
  } catch (error) {
    status.textContent = `The server could not read this: ${error.message}`;
    setState("error");
  } finally {
    inFlight = false;
    if (stale) {
      stale = false;
      sendDrawing();
    }
  }
}

// ---- showing the answer ---------------------------------------------------------------------
function showBars(probabilities, top) {
  bars.forEach((bar, i) => {
    const p = probabilities ? probabilities[i] : 0;
    bar.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    bar.querySelector(".value").textContent = probabilities ? `${(100 * p).toFixed(1)}%` : "\u2013";
    bar.classList.toggle("top", i === top);
  });
}

function showInput(rows) {
  const context = seen.getContext("2d");
  const image = context.createImageData(seen.width, seen.height);
  rows.flat().forEach((v, i) => {
    const level = Math.round(255 * v);
    image.data.set([level, level, level, 255], 4 * i);
  });
  context.putImageData(image, 0, 0);
}

function show(result) {
  digit.textContent = String(result.predicted);
  confidence.textContent = `${(100 * result.confidence).toFixed(1)}% sure`;
  showBars(result.probabilities, result.predicted);
  showInput(result.input);
  status.textContent = "";
  answer.dataset.count = String(Number(answer.dataset.count) + 1);
  setState(timer !== null || stale ? "waiting" : "ready");
}

// ---- uploading an image ---------------------------------------------------------------------
async function upload(file) {
  if (!file) return;
  clearPad();
  empty = false;
  setState("waiting");
  try {
    // Shown on the pad so that what was sent is visible (and can be drawn over).
    const picture = await createImageBitmap(file);
    const scale = Math.min(pad.width / picture.width, pad.height / picture.height);
    const w = picture.width * scale;
    const h = picture.height * scale;
    ink.imageSmoothingEnabled = scale < 1;
    ink.drawImage(picture, (pad.width - w) / 2, (pad.height - h) / 2, w, h);
  } catch (error) {
    // Not displayable here; the server still says what is wrong with it.
  }
  const form = new FormData();
  form.append("file", file);
  await ask({ method: "POST", body: form });
}

const picker = document.getElementById("upload");
picker.addEventListener("change", () => {
  upload(picker.files[0]);
  picker.value = "";  // choosing the same file again still uploads it
});
pad.addEventListener("dragover", (event) => event.preventDefault());
pad.addEventListener("drop", (event) => {
  event.preventDefault();
  upload(event.dataTransfer.files[0]);
});

// ---- the model's description ----------------------------------------------------------------
async function describeModel() {
  const line = document.getElementById("model-line");
  try {
    const response = await fetch("/api/model");
    const info = await response.json();
    const accuracy = info.test_accuracy === null ? "not measured"
      : `${(100 * info.test_accuracy).toFixed(2)}% on ${info.test_set}`;
    line.textContent = `Model ${info.model}: ${info.params.toLocaleString("en")} weights. `
      + `Test accuracy ${accuracy}. Trained on: ${info.trained_on || "not recorded"}.`;
    document.getElementById("model-summary").textContent = info.summary;
  } catch (error) {
    line.textContent = `Could not load the model's description: ${error.message}`;
  }
}

clearPad();
describeModel();
