/* The exhibitor's lead scanner: a badge read by the camera (or its code pasted) is queued on the phone
   with a nonce, then sent to the server whenever the network answers; a retry of the same scan is the same
   lead. Rating, tags and note go with the scan (or later, on the same badge). Works without the network:
   the queue survives a reload (localStorage). */

const app = document.getElementById("leads-app");
const T = JSON.parse(document.getElementById("leads-strings").textContent);
const KEY = `parvis-leads:${app.dataset.exhibitor}`;
const $ = (id) => document.getElementById(id);

function queue() {
  try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch { return []; }
}

function save(items) {
  localStorage.setItem(KEY, JSON.stringify(items));
  $("leads-pending").textContent = items.length ? T.pending.replace("%(n)s", items.length) : T.all_sent;
  $("leads-pending").dataset.count = String(items.length);
}

function nonce() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function looksLikeBadge(text) {
  if (!/^[A-Za-z0-9_-]{100,200}$/.test(text)) return false;
  try {
    const raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - (text.length % 4)) % 4));
    return raw.length === 81 && raw.charCodeAt(0) === 3;  // version 3: a market badge
  } catch { return false; }
}

function record(secret) {
  const note = $("lead-note");
  if (!looksLikeBadge(secret)) {
    note.textContent = T.not_a_badge;
    return;
  }
  const items = queue();
  items.push({
    secret,
    nonce: nonce(),
    scanned_at: new Date().toISOString(),
    rating: $("lead-rating").value,
    tags: $("lead-tags").value,
    note: $("lead-text").value,
  });
  save(items);
  note.textContent = navigator.onLine ? T.recorded : T.recorded_offline;
  $("lead-text").value = "";
  sync();
}

let syncing = false;

async function sync() {
  const items = queue();
  // The phone says it has no network: nothing is tried until the "online" event (no failing requests).
  if (syncing || !items.length || navigator.onLine === false) return;
  syncing = true;
  try {
    const response = await fetch(app.dataset.sync, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": app.dataset.csrf },
      body: JSON.stringify({ scans: items.slice(0, 200) }),
    });
    if (!response.ok) return;
    const answer = await response.json();
    const done = new Set(answer.results.map((r) => r.nonce));
    save(queue().filter((item) => !done.has(item.nonce)));
    const list = $("leads-recent");
    for (const result of answer.results) {
      const li = document.createElement("li");
      li.textContent = result.ok
        ? (result.lead.shared ? `${result.lead.name} — ${result.lead.organisation}` : `${T.badge} ${result.lead.badge}`)
        : result.error;
      list.prepend(li);
    }
  } catch {
    // offline: the queue stays, and goes at the next try
  } finally {
    syncing = false;
  }
}

/* The camera, read by BarcodeDetector where the browser has it, else by the vendored jsQR. */
let stream = null;
let detector = null;
let last = "";

async function camera() {
  if (stream) {
    stream.getTracks().forEach((t) => t.stop());
    stream = null;
    $("leads-camera").hidden = true;
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch {
    $("lead-note").textContent = T.camera_error;
    return;
  }
  const video = $("leads-camera");
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  if ("BarcodeDetector" in window) {
    try { detector = new BarcodeDetector({ formats: ["qr_code"] }); } catch { detector = null; }
  }
  requestAnimationFrame(frame);
}

async function frame() {
  if (!stream) return;
  const video = $("leads-camera");
  let text = null;
  if (detector) {
    const codes = await detector.detect(video).catch(() => []);
    text = codes.length ? codes[0].rawValue : null;
  } else if (window.jsQR && video.videoWidth) {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext("2d");
    context.drawImage(video, 0, 0);
    const found = window.jsQR(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
    text = found ? found.data : null;
  }
  if (text && text !== last) {
    last = text;
    record(text);
  }
  setTimeout(() => requestAnimationFrame(frame), 250);
}

$("leads-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const code = $("lead-code").value.trim();
  $("lead-code").value = "";
  record(code);
});
$("leads-camera-toggle").addEventListener("click", camera);
window.addEventListener("online", sync);
setInterval(sync, 10000);
save(queue());
sync();
if ("serviceWorker" in navigator) navigator.serviceWorker.register(app.dataset.sw).catch(() => {});
