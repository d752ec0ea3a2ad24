/* Parvis door scanner.
 *
 * Online, every scan is judged by the server (exactly once across gates). When the network fails, the
 * phone judges alone from the list it downloaded: it checks the ticket's Ed25519 signature against the
 * organizer's public keys, the ticket's state and the list's rules, records the scan in IndexedDB (it
 * survives a reload or a phone going to sleep) and sends it when the network is back; the server then
 * settles duplicates between devices (first scan wins by time, the other is flagged for staff).
 */
const APP = document.getElementById("door-app");
const T = JSON.parse(document.getElementById("door-strings").textContent);
const API = "/api/v1/checkin";
const ONLINE_TIMEOUT_MS = 2500;
const SYNC_EVERY_MS = 10000;
const REFRESH_EVERY_MS = 60000;
const STALE_AFTER_MS = 15 * 60000;

const $ = (id) => document.getElementById(id);
const fmt = (text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
const hhmm = (date) => date.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });

/* ---------- storage: IndexedDB, one key-value store and the queue of scans to synchronise ---------- */

const dbReady = new Promise((resolve, reject) => {
  const open = indexedDB.open("parvis-door", 1);
  open.onupgradeneeded = () => {
    open.result.createObjectStore("kv");
    open.result.createObjectStore("queue", { keyPath: "nonce" });
  };
  open.onsuccess = () => resolve(open.result);
  open.onerror = () => reject(open.error);
});

async function store(name, mode, work) {
  const db = await dbReady;
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    const request = work(tx.objectStore(name));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}
const kvGet = (key) => store("kv", "readonly", (s) => s.get(key));
const kvSet = (key, value) => store("kv", "readwrite", (s) => s.put(value, key));
const kvDel = (key) => store("kv", "readwrite", (s) => s.delete(key));
const queueAll = () => store("queue", "readonly", (s) => s.getAll());
const queuePut = (scan) => store("queue", "readwrite", (s) => s.put(scan));
const queueDelete = (nonces) => store("queue", "readwrite", (s) => { nonces.forEach((n) => s.delete(n)); });
const queueCount = () => store("queue", "readonly", (s) => s.count());

/* ---------- state ---------- */

const state = {
  token: null,
  list: null, // the offline package: {list, public_keys, tickets, generated_at}
  tickets: new Map(), // "performance:number" -> row
  local: {}, // "performance:number" -> inside (true/false) as this device last saw it
  mode: "entry",
  online: navigator.onLine,
  syncing: false,
};

/* ---------- ticket secrets: decode and verify offline ---------- */

function base64urlBytes(text) {
  let b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  while (b64.length % 4) b64 += "=";
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/* Payload (17 bytes): version | key id | performance | number | valid until (Unix), then a 64-byte signature.
   A member card (version 2): version | key id | membership | persons | valid until.
   A market badge (version 3): version | key id | participant | badge version | valid until.
   A group's code (version 4): version | key id | booking | performance | valid until. */
const LAYOUTS = {  // version: [what it is, first field, second field]
  1: ["", "performance", "number"],
  2: ["memberCard", "membership", "persons"],
  3: ["badge", "participant", "badgeVersion"],
  4: ["group", "booking", "performance"],
};

export function decodeSecret(secret) {
  if (typeof secret !== "string" || !/^[A-Za-z0-9_-]{100,200}$/.test(secret)) return null;
  let raw;
  try { raw = base64urlBytes(secret); } catch { return null; }
  if (raw.length !== 81) return null;
  const view = new DataView(raw.buffer);
  const layout = LAYOUTS[view.getUint8(0)];
  if (!layout) return null;
  const [kind, first, second] = layout;
  return {
    ...(kind ? { [kind]: true } : {}),
    keyId: view.getUint32(1),
    [first]: view.getUint32(5),
    [second]: view.getUint32(9),
    validUntil: view.getUint32(13) * 1000,
    payload: raw.slice(0, 17),
    signature: raw.slice(17),
  };
}

const importedKeys = new Map();
let webCryptoEd25519 = null; // unknown until tried
let noble = null;

export async function verifySignature(publicKeyB64, claims) {
  const raw = Uint8Array.from(atob(publicKeyB64), (c) => c.charCodeAt(0));
  if (webCryptoEd25519 !== false) {
    try {
      let key = importedKeys.get(publicKeyB64);
      if (!key) {
        key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
        importedKeys.set(publicKeyB64, key);
      }
      webCryptoEd25519 = true;
      return await crypto.subtle.verify({ name: "Ed25519" }, key, claims.signature, claims.payload);
    } catch (error) {
      if (webCryptoEd25519) return false;
      webCryptoEd25519 = false; // this browser has no Ed25519 in WebCrypto: use the vendored library
    }
  }
  noble = noble || (await import(APP.dataset.noble));
  try { return await noble.verifyAsync(claims.signature, claims.payload, raw); } catch { return false; }
}

/* The same rules as the server (services._check_ticket), applied to the downloaded list. */
export async function judgeLocally(input, at, mode = "entry") {
  const rules = state.list.list;
  let performance, number, validUntil, claims = null;
  if (input.secret) {
    claims = decodeSecret(input.secret);
    if (!claims) return { accepted: false, reason: "malformed" };
    if (claims.memberCard) return judgeCard(claims, at, mode);
    if (claims.badge) return judgeBadge(claims, at);
    if (claims.group) return judgeGroup(claims, at, input.counts);
    const key = state.list.public_keys[String(claims.keyId)];
    if (!key || !(await verifySignature(key, claims))) return { accepted: false, reason: "invalid" };
    ({ performance, number, validUntil } = claims);
  } else {
    ({ performance, number } = input.ticket);
    const info = rules.performance_info[String(performance)];
    validUntil = info ? Date.parse(info.valid_until) : 0;
  }
  const id = `${performance}:${number}`;
  const row = state.tickets.get(id);
  const ticket = row ? { tariff: rules.tariff_names[String(row.tariff)] || "", name: row.name, mentions: row.mentions } : null;
  if (!rules.performances.includes(performance)) return { accepted: false, reason: "wrong_performance", ticket };
  if (!row && !claims) return { accepted: false, reason: "unknown_ticket" };
  if (row) {
    if (row.state !== "valid") return { accepted: false, reason: row.state, ticket };
    if (rules.tariffs.length && !rules.tariffs.includes(row.tariff)) {
      return { accepted: false, reason: "wrong_tariff", ticket };
    }
  }
  const info = rules.performance_info[String(performance)];
  const opens = Date.parse(info.starts_at) - rules.opens_minutes_before * 60000;
  if (at < opens) return { accepted: false, reason: "too_early", ticket };
  if (at > validUntil) return { accepted: false, reason: "expired", ticket };
  if (row && row.slot) {
    const tolerance = rules.slot_tolerance_minutes * 60000;
    if (at < Date.parse(row.slot[0]) - tolerance || at > Date.parse(row.slot[1]) + tolerance) {
      return { accepted: false, reason: "wrong_slot", ticket };
    }
  }
  const inside = id in state.local ? state.local[id] : Boolean(row && row.inside);
  if (mode === "exit") {
    if (!rules.allow_reentry) return { accepted: false, reason: "no_reentry", ticket };
    if (!inside) return { accepted: false, reason: "not_inside", ticket };
    return { accepted: true, reason: "", ticket, id };
  }
  if (inside) return { accepted: false, reason: "already_used", ticket };
  return { accepted: true, reason: "", ticket: ticket || { tariff: "", name: "", recent: true }, id };
}

/* A member card offline: the list must admit members, the card be signed by a programme valid here, not
   cancelled, not ended, and no more of its people inside than it names (counted on this phone). */
async function judgeCard(claims, at, mode) {
  const rules = state.list.list;
  if (!rules.admit_members) return { accepted: false, reason: "member_card_refused" };
  const key = (state.list.member_keys || {})[String(claims.keyId)];
  if (!key || !(await verifySignature(key, claims))) return { accepted: false, reason: "invalid" };
  if (at > claims.validUntil || (state.list.members_cancelled || []).includes(claims.membership)) {
    return { accepted: false, reason: "member_expired" };
  }
  const id = `m:${claims.membership}`;
  const inside = cardInside(claims.membership);
  if (mode === "exit") {
    if (!rules.allow_reentry) return { accepted: false, reason: "no_reentry" };
    if (!inside) return { accepted: false, reason: "not_inside" };
  } else if (inside >= claims.persons) {
    return { accepted: false, reason: "member_used" };
  }
  return { accepted: true, reason: "", id, member: { level: "", name: "", persons: claims.persons } };
}

/* A market badge offline (the server's market.badges rules): signed by the organizer, still the badge's
   current version, and of a category that the list's areas open, on one of the market's days. Badges come
   and go: nothing is counted inside. */
async function judgeBadge(claims, at) {
  const codes = (state.list.codes || {})["3"] || {};
  const key = state.list.public_keys[String(claims.keyId)];
  if (!key || !(await verifySignature(key, claims))) return { accepted: false, reason: "invalid" };
  const row = (codes.badges || {})[String(claims.participant)];
  if (!row) {
    return { accepted: false, reason: (codes.revoked || []).includes(claims.participant) ? "badge_revoked" : "badge_area" };
  }
  const [version, category, name, organisation, marketId] = row;
  if (version !== claims.badgeVersion) return { accepted: false, reason: "badge_revoked" };
  if (at > claims.validUntil) return { accepted: false, reason: "expired" };
  const market = (codes.markets || {})[String(marketId)];
  if (!market) return { accepted: false, reason: "badge_area" };
  const day = new Date(at).toLocaleDateString("sv-SE");  // YYYY-MM-DD in the phone's time zone
  if (day < market.days[0] || day > market.days[1]) return { accepted: false, reason: "badge_day" };
  // Its category opens an area of the list, or it is registered for (or speaks at) a session of the list.
  if (!(String(category) in market.categories) && !(codes.admitted || []).includes(claims.participant)) {
    return { accepted: false, reason: "badge_area" };
  }
  const holder = { name, organisation, category: market.names[String(category)] || "" };
  return { accepted: true, reason: "", id: `b:${claims.participant}`, holder };
}

/* A group's code offline (the server's groups.door rules): signed by the organizer, a confirmed booking of
   one of the list's dates, from the list's opening to the end of that day. A group booked after the list
   was downloaded is let in on its signature, as a new ticket is; the server settles it when it syncs. */
async function judgeGroup(claims, at, counts) {
  const key = state.list.public_keys[String(claims.keyId)];
  if (!key || !(await verifySignature(key, claims))) return { accepted: false, reason: "invalid" };
  const rules = state.list.list;
  const row = groupRow(claims.booking);
  const id = `g:${claims.booking}`;
  if (row && !row[0]) return { accepted: false, reason: "group_not_confirmed" };
  if ((row && row[1] !== claims.performance) || !rules.performances.includes(claims.performance)) {
    return { accepted: false, reason: "group_other_date" };
  }
  const info = rules.performance_info[String(claims.performance)];
  if (at < Date.parse(info.starts_at) - rules.opens_minutes_before * 60000) return { accepted: false, reason: "too_early" };
  if (at > claims.validUntil) return { accepted: false, reason: "expired" };
  const [, , name, organisation, category, pupils, adults] = row || ["", 0, "", "", T.group_new, null, null];
  const counted = state.local[id] || (row && row[0] === "counted" ? {} : null) || (counts ? { ...counts } : null);
  const holder = { name, organisation, category, headcount: { pupils, adults }, counted };
  return { accepted: true, reason: "", id, holder };
}

function groupRow(booking) {
  return (((state.list.codes || {})["4"] || {}).groups || {})[String(booking)] || null;
}

/* A group coming in: the door types how many came (prefilled with the booking's numbers) before the scan
   is sent, so the count travels with it, online or queued offline. Resolves to the counts, or null. */
function askCount(claims) {
  const row = groupRow(claims.booking);
  const fields = T.headcount["4"] || [];
  const form = $("count-form");
  $("count-group").textContent = row ? [row[2], row[4]].filter(Boolean).join(" — ") : T.group_new;
  $("count-expected").textContent = row ? fmt(T.group_expected, { pupils: row[5], adults: row[6] }) : "";
  const inputs = fields.map(([name, label], index) => {
    const wrap = document.createElement("p");
    const input = Object.assign(document.createElement("input"), {
      id: `count-${name}`, name, type: "number", min: "0", max: "10000", inputMode: "numeric", required: true,
      value: row ? String(row[5 + index] ?? 0) : "0",
    });
    const text = Object.assign(document.createElement("label"), { htmlFor: input.id, textContent: label });
    wrap.append(text, input);
    return wrap;
  });
  $("count-fields").replaceChildren(...inputs);
  $("count").hidden = false;
  $(`count-${fields[0][0]}`).focus();
  return new Promise((resolve) => {
    const done = (counts) => {
      $("count").hidden = true;
      form.onsubmit = null;
      $("count-cancel").onclick = null;
      lastCode = null;
      resolve(counts);
    };
    form.onsubmit = (event) => {
      event.preventDefault();
      done(Object.fromEntries(fields.map(([name]) => [name, Math.max(0, Number(form.elements[name].value) || 0)])));
    };
    $("count-cancel").onclick = () => done(null);
  });
}

/* How many people of a card are inside: this phone's count since the list was downloaded, else the list's. */
function cardInside(membership) {
  const id = `m:${membership}`;
  if (id in state.local) return Number(state.local[id]);
  return Number((state.list.members_inside || {})[String(membership)] || 0);
}

/* ---------- the server ---------- */

async function api(path, options = {}, timeout = 15000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  try {
    const response = await fetch(API + path, {
      ...options,
      signal: controller.signal,
      headers: { Authorization: `Bearer ${state.token}`, "Content-Type": "application/json" },
    });
    if (response.status === 401) { unpaired(); throw new Error("unauthorized"); }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    setOnline(true);
    return await response.json();
  } catch (error) {
    if (error.message !== "unauthorized" && !String(error.message).startsWith("HTTP")) setOnline(false);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function newNonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/* ---------- scanning ---------- */

async function scan(input) {
  const claims = input.secret ? decodeSecret(input.secret) : null;
  if (claims && claims.group && state.mode === "entry" && !input.counts) {
    const row = groupRow(claims.booking);
    if (!(row && row[0] === "counted") && !state.local[`g:${claims.booking}`]) {
      const counts = await askCount(claims);
      if (!counts) return;
      input = { ...input, counts };
    }
  }
  const at = Date.now();
  const body = {
    list: state.list.list.id,
    nonce: newNonce(),
    scanned_at: new Date(at).toISOString(),
    type: state.mode,
    ...(input.secret ? { secret: input.secret } : { ticket: input.ticket }),
    ...(input.counts ? { counts: input.counts } : {}),
  };
  if (state.online) {
    try {
      const result = await api("/redeem", { method: "POST", body: JSON.stringify(body) }, ONLINE_TIMEOUT_MS);
      if (result.ticket) remember(`${result.ticket.performance_id}:${result.ticket.number}`, result);
      if (result.member && result.result === "accepted") {
        state.local[`m:${result.member.id}`] = cardInside(result.member.id) + (state.mode === "entry" ? 1 : -1);
        kvSet(`local:${state.list.list.id}`, state.local);
      }
      showVerdict({
        accepted: result.result === "accepted",
        reason: result.reason,
        ticket: result.ticket,
        member: result.member,
        holder: result.holder,
        note: result.note,
        firstScan: result.first_scan,
        offline: false,
      });
      return;
    } catch (error) {
      // No answer in time: judge here. The queued scan keeps the same nonce, so if the server did get it,
      // synchronising returns that first verdict instead of counting the scan twice.
    }
  }
  const verdict = await judgeLocally(input, at, state.mode);
  body.offline_verdict = verdict.accepted ? "accepted" : "refused";
  body.offline_reason = verdict.reason;
  await queuePut(body);
  if (verdict.accepted && verdict.id.startsWith("b:")) {
    // a badge: nothing to count, its holder comes and goes
  } else if (verdict.accepted && verdict.id.startsWith("g:")) {  // a group: counted once, on this phone too
    if (input.counts) state.local[verdict.id] = input.counts;
    await kvSet(`local:${state.list.list.id}`, state.local);
  } else if (verdict.accepted && verdict.id.startsWith("m:")) {  // a card: how many of its people are inside
    state.local[verdict.id] = cardInside(verdict.id.slice(2)) + (state.mode === "entry" ? 1 : -1);
    await kvSet(`local:${state.list.list.id}`, state.local);
  } else if (verdict.accepted) {
    state.local[verdict.id] = state.mode === "entry";
    await kvSet(`local:${state.list.list.id}`, state.local);
  }
  showVerdict({ ...verdict, offline: true });
  renderStatus();
}

function remember(id, result) {
  if (result.result === "accepted") state.local[id] = state.mode === "entry";
  else if (result.reason === "already_used") state.local[id] = true;
  kvSet(`local:${state.list.list.id}`, state.local);
}

/* ---------- synchronisation and freshness ---------- */

async function sync() {
  if (state.syncing || !state.token) return;
  state.syncing = true;
  try {
    let pending = await queueAll();
    let conflicts = 0;
    const sent = pending.length > 0;
    while (pending.length) {
      const batch = pending.slice(0, 200);
      const answer = await api("/sync", { method: "POST", body: JSON.stringify({ scans: batch }) });
      conflicts += answer.results.filter((r) => r.conflict).length;
      await queueDelete(batch.map((s) => s.nonce));
      pending = pending.slice(200);
    }
    if (conflicts) $("scan-note").textContent = fmt(T.conflicts, { count: conflicts });
    const age = state.list ? Date.now() - Date.parse(state.list.generated_at) : 0;
    // After sending scans, fetch the list again at once: it carries what other gates did and revocations.
    if (state.list && (sent || age > REFRESH_EVERY_MS)) await download(state.list.list.id);
  } catch (error) {
    // offline or server unreachable: the scans stay queued
  } finally {
    state.syncing = false;
    renderStatus();
  }
}

async function download(listId) {
  const pkg = await api(`/lists/${listId}/download`);
  const queued = await queueCount();
  await kvSet(`list:${listId}`, pkg);
  await kvSet("current", listId);
  useList(pkg);
  if (!queued) { // the server's state now includes everything this device did
    state.local = {};
    await kvDel(`local:${listId}`);
  }
}

function useList(pkg) {
  state.list = pkg;
  state.tickets = new Map(pkg.tickets.map((row) => [`${row.performance}:${row.number}`, row]));
  $("door-title").textContent = pkg.list.name;
  $("mode").hidden = !pkg.list.allow_reentry;
  if (!pkg.list.allow_reentry) setMode("entry");
}

function setOnline(online) {
  if (state.online === online) return;
  state.online = online;
  renderStatus();
  if (online) sync();
}

async function renderStatus() {
  const pill = $("door-online");
  pill.textContent = state.online ? T.online : T.offline;
  pill.className = `pill ${state.online ? "online" : "offline"}`;
  const fresh = $("door-fresh");
  if (state.list) {
    const generated = new Date(state.list.generated_at);
    const minutes = Math.max(0, Math.floor((Date.now() - generated) / 60000));
    fresh.textContent = `${fmt(T.fresh, { time: hhmm(generated) })} (${fmt(T.fresh_ago, { minutes })})`;
    fresh.className = Date.now() - generated > STALE_AFTER_MS ? "stale" : "";
  } else {
    fresh.textContent = "";
  }
  const count = await queueCount();
  $("door-pending").textContent = count ? fmt(T.pending, { count }) : T.synced;
  $("door-pending").dataset.count = String(count);
}

/* ---------- verdicts: full screen, sound, vibration ---------- */

let audio = null;
function beep(ok) {
  try {
    audio = audio || new AudioContext();
    const tones = ok ? [[880, 0, 0.12]] : [[220, 0, 0.18], [180, 0.22, 0.3]];
    for (const [frequency, start, length] of tones) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = frequency;
      osc.type = ok ? "sine" : "square";
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + start);
      osc.stop(audio.currentTime + start + length);
    }
  } catch { /* no sound on this device */ }
  if (navigator.vibrate) navigator.vibrate(ok ? 80 : [200, 100, 200]);
}

let closeTimer = null;
function showVerdict({ accepted, reason, ticket, member, holder, note, firstScan, offline }) {
  const box = $("verdict");
  box.className = `door-verdict ${accepted ? "ok" : "ko"}`;
  box.dataset.result = accepted ? "accepted" : "refused";
  box.dataset.reason = reason || "";
  $("verdict-title").textContent = accepted ? (state.mode === "exit" ? T.exit_ok : T.accepted) : T.refused;
  let why = accepted ? "" : (T.reasons[reason] || reason);
  if (firstScan) {
    const time = hhmm(new Date(firstScan.at));
    why += " — " + (firstScan.gate ? fmt(T.first_scan_gate, { time, gate: firstScan.gate }) : fmt(T.first_scan, { time }));
  }
  $("verdict-reason").textContent = [why, note].filter(Boolean).join(" ");
  const details = [];
  if (ticket) {
    if (ticket.tariff) details.push(ticket.tariff);
    if (ticket.name) details.push(ticket.name);
    if (ticket.slot) details.push(ticket.slot);
    for (const [label, text] of ticket.mentions || []) details.push(`${label} : ${text}`);
    if (ticket.recent) details.push(T.new_ticket);
  }
  if (holder) details.push([holder.category, holder.name, holder.organisation].filter(Boolean).join(" — "));
  if (holder && holder.counted && holder.counted.pupils !== undefined) details.push(fmt(T.group_counted, holder.counted));
  if (member && member.name) details.push(fmt(T.member, { level: member.level, name: member.name, persons: member.persons }));
  else if (member) details.push(fmt(T.member_card, { persons: member.persons }));
  $("verdict-detail").textContent = details.join(" · ");
  $("verdict-offline").hidden = !offline;
  box.hidden = false;
  box.focus();
  beep(accepted);
  clearTimeout(closeTimer);
  closeTimer = setTimeout(closeVerdict, accepted && !note ? 1500 : 4000);
}

function closeVerdict() {
  clearTimeout(closeTimer);
  $("verdict").hidden = true;
  lastCode = null;
  if (!$("screen-scan").hidden) $("manual").focus();
}

/* ---------- manual entry and search ---------- */

async function manual(query) {
  query = query.trim();
  $("results").replaceChildren();
  if (!query) return;
  if (decodeSecret(query) || query.length >= 100) { await scan({ secret: query }); return; }
  let tickets;
  if (state.online) {
    try {
      tickets = (await api(`/lists/${state.list.list.id}/search?q=${encodeURIComponent(query)}`, {}, ONLINE_TIMEOUT_MS)).tickets;
    } catch { tickets = null; }
  }
  if (!tickets) tickets = searchLocally(query);
  if (!tickets.length) { $("scan-note").textContent = T.no_result; return; }
  $("scan-note").textContent = "";
  for (const t of tickets.slice(0, 20)) {
    const li = document.createElement("li");
    const text = document.createElement("span");
    text.textContent = `${t.name || "—"} · n° ${t.number}`;
    const small = document.createElement("small");
    const mentions = (t.mentions || []).map(([label, value]) => `${label} : ${value}`);
    small.textContent = [t.order, t.tariff, ...mentions, t.event, t.inside ? T.inside : ""].filter(Boolean).join(" · ");
    text.append(small);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "door-button";
    button.textContent = T.let_in;
    button.addEventListener("click", () => { $("results").replaceChildren(); scan({ ticket: { performance: t.performance, number: t.number } }); });
    li.append(text, button);
    $("results").append(li);
  }
}

function searchLocally(query) {
  const q = query.toLowerCase();
  const number = /^\d+$/.test(q) ? Number(q) : null;
  const rules = state.list.list;
  const found = [];
  for (const row of state.tickets.values()) {
    if ((row.name || "").toLowerCase().includes(q) || (row.order || "").toLowerCase() === q || row.number === number) {
      const id = `${row.performance}:${row.number}`;
      found.push({
        ...row,
        tariff: rules.tariff_names[String(row.tariff)] || "",
        event: (rules.performance_info[String(row.performance)] || {}).title || "",
        inside: id in state.local ? state.local[id] : row.inside,
      });
      if (found.length >= 20) break;
    }
  }
  return found;
}

/* ---------- camera ---------- */

let stream = null;
let detector = null;
let lastCode = null;

async function startCamera() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch {
    $("scan-note").textContent = T.camera_error;
    return;
  }
  const video = $("camera");
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  if ("BarcodeDetector" in window) {
    try { detector = new BarcodeDetector({ formats: ["qr_code"] }); } catch { detector = null; }
  }
  $("camera-toggle").textContent = T.camera_stop;
  requestAnimationFrame(readFrame);
}

function stopCamera() {
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
  $("camera").hidden = true;
  $("camera-toggle").textContent = T.camera_start;
}

async function readFrame() {
  if (!stream) return;
  const video = $("camera");
  if ($("verdict").hidden && video.readyState >= 2) {
    let code = null;
    if (detector) {
      try { code = (await detector.detect(video))[0]?.rawValue || null; } catch { detector = null; }
    } else if (window.jsQR) {
      const canvas = $("camera-canvas");
      const width = Math.min(640, video.videoWidth);
      const height = Math.round(video.videoHeight * (width / video.videoWidth));
      canvas.width = width;
      canvas.height = height;
      const context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, width, height);
      const found = window.jsQR(context.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: "dontInvert" });
      code = found ? found.data : null;
    }
    if (code && code !== lastCode) {
      lastCode = code;
      await scan({ secret: code.trim() });
    }
  }
  setTimeout(() => requestAnimationFrame(readFrame), 120);
}

/* ---------- screens ---------- */

function show(screen) {
  for (const id of ["screen-pair", "screen-lists", "screen-scan"]) $(id).hidden = id !== screen;
}

function unpaired() {
  state.token = null;
  stopCamera();
  show("screen-pair");
  $("pair-message").textContent = T.not_paired;
}

async function showLists() {
  stopCamera();
  show("screen-lists");
  const ul = $("lists");
  ul.replaceChildren();
  let data;
  try {
    data = await api("/lists");
  } catch {
    $("lists-device").textContent = T.network_error;
    return;
  }
  $("lists-device").textContent = data.device;
  if (!data.lists.length) { $("lists-device").textContent += ` — ${T.no_lists}`; return; }
  for (const entry of data.lists) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "door-button secondary";
    button.textContent = entry.name;
    for (const p of entry.performances) {
      const small = document.createElement("small");
      small.textContent = `${p.title} — ${new Date(p.starts_at).toLocaleString(document.documentElement.lang, { dateStyle: "medium", timeStyle: "short" })} — ${p.venue}`;
      button.append(small);
    }
    button.addEventListener("click", async () => {
      try {
        await download(entry.id);
        showScanner();
      } catch {
        $("lists-device").textContent = T.download_error;
      }
    });
    li.append(button);
    ul.append(li);
  }
}

function showScanner() {
  show("screen-scan");
  renderStatus();
  $("manual").focus();
}

function setMode(mode) {
  state.mode = mode;
  for (const button of $("mode").querySelectorAll("button")) {
    const on = button.dataset.mode === mode;
    button.setAttribute("aria-pressed", String(on));
  }
}

async function start() {
  if (!window.isSecureContext || !window.crypto?.subtle) {
    $("scan-note").textContent = T.unsafe_context;
  }
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("appareil")) {
    await kvSet("token", fragment.get("appareil"));
    history.replaceState(null, "", location.pathname);
  }
  state.token = await kvGet("token");
  $("camera-toggle").textContent = T.camera_start;
  const [entryButton, exitButton] = $("mode").querySelectorAll("button");
  entryButton.textContent = T.mode_entry;
  exitButton.textContent = T.mode_exit;
  $("mode").addEventListener("click", (event) => { if (event.target.dataset.mode) setMode(event.target.dataset.mode); });
  $("pair-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    state.token = $("pair-token").value.trim();
    await kvSet("token", state.token);
    showLists();
  });
  $("manual-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("manual").value;
    $("manual").value = "";
    manual(value);
  });
  $("camera-toggle").addEventListener("click", () => (stream ? stopCamera() : startCamera()));
  $("verdict").addEventListener("click", closeVerdict);
  $("change-list").addEventListener("click", showLists);
  $("forget").addEventListener("click", async () => {
    if ((await queueCount()) && !confirm(T.forget_confirm)) return;
    await store("queue", "readwrite", (s) => s.clear());
    await store("kv", "readwrite", (s) => s.clear());
    state.token = null;
    state.list = null;
    show("screen-pair");
  });
  window.addEventListener("online", () => setOnline(true));
  window.addEventListener("offline", () => setOnline(false));
  document.addEventListener("visibilitychange", () => { if (!document.hidden) sync(); });
  setInterval(sync, SYNC_EVERY_MS);
  setInterval(renderStatus, 30000);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register(APP.dataset.sw).catch(() => {});

  if (!state.token) { show("screen-pair"); renderStatus(); return; }
  const current = await kvGet("current");
  const pkg = current ? await kvGet(`list:${current}`) : null;
  if (pkg) { // reopen where the door was, even offline
    state.local = (await kvGet(`local:${current}`)) || {};
    useList(pkg);
    showScanner();
    sync();
  } else {
    showLists();
  }
}

window.parvisDoor = { decodeSecret, verifySignature, judgeLocally, state, ready: start() };
