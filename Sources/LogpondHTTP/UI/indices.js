// Logpond indices: every index with its size, dates and the retention rule that will delete it
// (from /_logpond/api/indices), and a delete button for users whose role may delete indices.
// Deleting asks twice in the page (no native dialog), then calls DELETE /{index}.
const $ = (id) => document.getElementById(id);
// Absolute on location.origin: see app.js (a page opened with user:pass@ in its URL).
const at = (path) => location.origin + path;
let data = null;

function fmtTime(ms) { return ms === null || ms === undefined ? "—" : new Date(ms).toISOString().replace("T", " ").slice(0, 19); }

export function fmtBytes(n) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0, v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i === 0 ? String(v) : v.toFixed(v < 10 ? 1 : 0)) + " " + units[i];
}

// "in 3 days", "in 5 hours", or "at the next check" once the age is past.
export function fmtWhen(at, now) {
  const d = at - now;
  if (d <= 0) return "at the next check";
  const steps = [[86400e3, "day"], [3600e3, "hour"], [60e3, "minute"]];
  for (const [ms, name] of steps) if (d >= ms) { const k = Math.floor(d / ms); return `in ${k} ${name}${k === 1 ? "" : "s"}`; }
  return "within a minute";
}

// Comma-separated patterns with `*`, as index expressions are written elsewhere.
function wildcard(pattern, s) {
  if (!pattern) return true;
  const rx = (p) => new RegExp("^" + p.split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$");
  return pattern.split(",").map((p) => p.trim()).filter(Boolean).some((p) => rx(p).test(s));
}

function cell(tr, text, cls, test) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  if (test) td.dataset.test = test;
  tr.appendChild(td);
  return td;
}

function retentionText(ix) {
  const r = ix.retention;
  const parts = [];
  if (r) {
    const days = Math.round(r.max_age_ms / 86400e3);
    parts.push(`${fmtWhen(r.delete_after, data.now)} (${fmtTime(r.delete_after)}), policy ${r.policy}: older than ${days}d by ${r.source === "name" ? "the date in its name" : "creation date"}`);
  }
  if (ix.size_budget) parts.push(`oldest first when data passes ${fmtBytes(data.size_budget.max_total_bytes)}`);
  return parts.length ? parts.join("; ") : "never (no policy matches)";
}

function deleteButton(ix) {
  const td = document.createElement("td");
  if (!data.can_delete) return td;
  const b = document.createElement("button");
  b.textContent = "Delete";
  b.className = "danger";
  b.dataset.test = "index-delete";
  b.onclick = async () => {
    if (b.dataset.armed !== "1") { b.dataset.armed = "1"; b.textContent = `Delete ${ix.index}?`; b.dataset.test = "index-delete-confirm"; return; }
    b.disabled = true;
    let r;
    try { r = await fetch(at("/" + encodeURIComponent(ix.index)), { method: "DELETE", credentials: "same-origin" }); } catch (e) { $("error").textContent = String(e); b.disabled = false; return; }
    const j = await r.json().catch(() => ({}));
    if (!r.ok) { $("error").textContent = (j.error && j.error.reason) || ("HTTP " + r.status); b.disabled = false; return; }
    await load();
  };
  td.appendChild(b);
  return td;
}

function render() {
  const tbody = document.querySelector("#indices tbody");
  tbody.textContent = "";
  const shown = data.indices.filter((ix) => wildcard($("pattern").value.trim(), ix.index));
  let bytes = 0;
  for (const ix of shown) {
    bytes += ix.store_bytes;
    const tr = document.createElement("tr");
    tr.dataset.test = "index-row";
    tr.dataset.index = ix.index;
    const name = document.createElement("td");
    const a = document.createElement("a");
    a.href = "/_logpond/?index=" + encodeURIComponent(ix.index) + "&from=now-7d&to=now";
    a.textContent = ix.index + (ix.status === "close" ? " (closed)" : "");
    name.appendChild(a);
    tr.appendChild(name);
    cell(tr, ix.docs.toLocaleString("en-US"), "num", "index-docs").dataset.docs = ix.docs;
    cell(tr, fmtBytes(ix.store_bytes), "num", "index-size").dataset.bytes = ix.store_bytes;
    cell(tr, fmtTime(ix.creation_date), "", "index-created").dataset.ms = ix.creation_date;
    cell(tr, fmtTime(ix.newest), "", "index-newest").dataset.ms = ix.newest ?? "";
    const ret = cell(tr, retentionText(ix), "", "index-retention");
    ret.dataset.deleteAfter = ix.retention ? ix.retention.delete_after : "";
    tr.appendChild(deleteButton(ix));
    tbody.appendChild(tr);
  }
  $("count").textContent = String(shown.length);
  $("bytes").textContent = fmtBytes(bytes);
  const every = Math.round(data.retention_interval_ms / 60e3);
  $("policy").textContent = `Retention checks every ${every} minutes.` + (data.can_delete ? "" : " Your role may not delete indices.");
}

async function load() {
  let r;
  try { r = await fetch(at("/_logpond/api/indices"), { credentials: "same-origin" }); } catch (e) { $("error").textContent = String(e); return; }
  const j = await r.json().catch(() => ({}));
  if (!r.ok) { $("error").textContent = (j.error && j.error.reason) || ("HTTP " + r.status); return; }
  $("error").textContent = "";
  data = j;
  render();
  document.body.dataset.loaded = String(Date.now());
}

$("pattern").addEventListener("input", () => { if (data) render(); });
load();
