// Logpond Discover: plain JavaScript over the Elasticsearch API the server speaks. Everything
// the view shows is in the URL, so a link reproduces it. Text from documents is only ever set
// as textContent (never parsed as HTML).
import { cluster } from "/_logpond/patterns.js";

const $ = (id) => document.getElementById(id);
const DEFAULT_COLUMNS = ["kubernetes.namespace_name", "kubernetes.pod_name", "kubernetes.container_name", "log"];
const PAGE = 50;
const RANGES = { "15m": 15 * 60e3, "1h": 3600e3, "24h": 86400e3, "7d": 7 * 86400e3 };
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000].map((s) => s * 1000);

const state = { index: "logstash-*", q: "", range: "15m", from: null, to: null, filters: [], columns: DEFAULT_COLUMNS.slice() };
let fieldCaps = {};          // field -> {type, aggregatable}
let lastSort = null, loading = false, exhausted = false, runId = 0;

function readURL() {
  const p = new URLSearchParams(location.search);
  if (p.get("index")) state.index = p.get("index");
  state.q = p.get("q") || "";
  const from = p.get("from"), to = p.get("to");
  if (from && to && /^\d+$/.test(from) && /^\d+$/.test(to)) { state.range = "abs"; state.from = +from; state.to = +to; }
  else if (from && from.startsWith("now-") && RANGES[from.slice(4)]) { state.range = from.slice(4); }
  try { state.filters = JSON.parse(p.get("filters") || "[]").filter((f) => f && f.field); } catch { state.filters = []; }
  if (p.get("columns")) state.columns = p.get("columns").split(",").filter(Boolean);
}

function writeURL() {
  const p = new URLSearchParams();
  p.set("index", state.index);
  if (state.q) p.set("q", state.q);
  if (state.range === "abs") { p.set("from", String(state.from)); p.set("to", String(state.to)); }
  else { p.set("from", "now-" + state.range); p.set("to", "now"); }
  if (state.filters.length) p.set("filters", JSON.stringify(state.filters));
  if (state.columns.join(",") !== DEFAULT_COLUMNS.join(",")) p.set("columns", state.columns.join(","));
  history.replaceState(null, "", "/_logpond/?" + p.toString());
}

function bounds() {
  if (state.range === "abs") return [state.from, state.to];
  const now = Date.now();
  return [now - RANGES[state.range], now];
}

// Absolute on location.origin: a page opened as http://user:pass@host/ has the credentials in
// its own URL, and fetch refuses any URL resolved against it; the browser's auth cache still
// answers the server's challenge.
const at = (path) => location.origin + path;

async function api(method, path, body) {
  const r = await fetch(at(path), { method, credentials: "same-origin", headers: body ? { "Content-Type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((j.error && (j.error.reason || j.error.type)) || ("HTTP " + r.status));
  return j;
}

// A search over the current index pattern (missing indices are no error: a pattern may match none).
function search(body) {
  return api("POST", "/" + encodeURIComponent(state.index) + "/_search?ignore_unavailable=true&allow_no_indices=true", body);
}

function query(from, to, extraFilter) {
  const must = state.q ? [{ query_string: { query: state.q, default_operator: "AND" } }] : [{ match_all: {} }];
  const filter = [{ range: { "@timestamp": { gte: from, lte: to, format: "epoch_millis" } } }];
  const mustNot = [];
  for (const f of state.filters) (f.neg ? mustNot : filter).push({ term: { [f.field]: f.value } });
  if (extraFilter) filter.push(extraFilter);
  return { bool: { must, filter, must_not: mustNot } };
}

// An interval giving about 60–120 bars over the range (the nice step nearest 90 bars).
function interval(span) {
  let best = STEPS[STEPS.length - 1], bestScore = Infinity;
  for (const s of STEPS) {
    const n = span / s;
    const score = (n >= 60 && n <= 120 ? 0 : 1000) + Math.abs(n - 90);
    if (score < bestScore) { best = s; bestScore = score; }
  }
  return best;
}

function fmtTime(ms) { return new Date(ms).toISOString().replace("T", " ").replace("Z", ""); }

// A field's value by its dotted path; keys may hold dots themselves (labels such as
// statefulset.kubernetes.io/pod-name), so every split point is tried.
function get(src, path) {
  if (src == null || typeof src !== "object") return undefined;
  if (path in src) return src[path];
  for (let j = path.indexOf("."); j > 0; j = path.indexOf(".", j + 1)) {
    const head = path.slice(0, j);
    if (head in src) { const v = get(src[head], path.slice(j + 1)); if (v !== undefined) return v; }
  }
  return undefined;
}

function cell(v) { return v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v); }

async function run() {
  const id = ++runId;
  if (live) setLive(true);   // the tail follows the new query and index
  const t0 = performance.now();
  writeURL();
  $("error").textContent = "";
  const [from, to] = bounds();
  const step = interval(to - from);
  const body = {
    size: PAGE, track_total_hits: true, sort: [{ "@timestamp": { order: "desc", unmapped_type: "date" } }, { _doc: "desc" }],
    query: query(from, to),
    aggs: { h: { date_histogram: { field: "@timestamp", fixed_interval: step + "ms", min_doc_count: 0, extended_bounds: { min: from, max: to } } } },
  };
  try {
    const r = await search(body);
    if (id !== runId) return;
    $("total").textContent = String(r.hits.total.value);
    $("took").textContent = "(" + r.took + " ms)";
    drawHistogram(r.aggregations ? r.aggregations.h.buckets : [], from, to, step);
    renderHead();
    const tb = document.querySelector("#hits tbody");
    tb.textContent = "";
    addRows(r.hits.hits);
    exhausted = r.hits.hits.length < PAGE;
    renderFilters();
    if (openField) await showValues(openField);
    if (!$("patterns-view").hidden) showPatterns();
    requestAnimationFrame(() => {
      window.__lastPaintMs = performance.now() - t0;
      console.log("logpond: painted in " + window.__lastPaintMs.toFixed(1) + " ms");
      // Tests wait on this: each finished search (rendered) moves it by one.
      window.__runs = (window.__runs || 0) + 1;
    });
  } catch (e) {
    if (id === runId) { $("error").textContent = e.message; window.__runs = (window.__runs || 0) + 1; }
  }
}

async function more() {
  if (loading || exhausted || !lastSort) return;
  loading = true;
  const id = runId;
  const [from, to] = bounds();
  try {
    const r = await search({ size: PAGE, track_total_hits: false, sort: [{ "@timestamp": { order: "desc", unmapped_type: "date" } }, { _doc: "desc" }], search_after: lastSort, query: query(from, to) });
    if (id === runId) { addRows(r.hits.hits); exhausted = r.hits.hits.length < PAGE; }
  } catch (e) { $("error").textContent = e.message; }
  loading = false;
}

// Live tail: new matching documents arrive as Server-Sent Events and go on top of the table.
let live = null;

function setLive(on) {
  if (live) { live.close(); live = null; }
  $("live").checked = on;
  if (!on) return;
  const p = new URLSearchParams({ index: state.index, q: state.q });
  live = new EventSource(at("/_logpond/tail?" + p.toString()));
  live.addEventListener("doc", (ev) => {
    const h = JSON.parse(ev.data);
    if (state.filters.some((f) => (cell(get(h._source, f.field.replace(/\.keyword$/, ""))) === String(f.value)) === !!f.neg)) return;
    const tb = document.querySelector("#hits tbody");
    const before = tb.firstChild;
    addRows([h]);
    const row = tb.lastChild;
    tb.insertBefore(row, before);
    row.classList.add("livehit");
    $("total").textContent = String(+$("total").textContent + 1);
  });
  live.addEventListener("end", (ev) => { $("error").textContent = "live tail stopped: " + JSON.parse(ev.data).reason; setLive(false); });
}

function renderHead() {
  const tr = document.createElement("tr");
  for (const c of ["time"].concat(state.columns)) {
    const th = document.createElement("th");
    th.textContent = c;
    if (c !== "time") {
      const x = document.createElement("button");
      x.textContent = "×"; x.title = "remove column"; x.className = "rm";
      x.onclick = (ev) => { ev.stopPropagation(); state.columns = state.columns.filter((k) => k !== c); run(); };
      th.appendChild(x);
    }
    tr.appendChild(th);
  }
  const head = document.querySelector("#hits thead");
  head.textContent = "";
  head.appendChild(tr);
}

function addRows(hits) {
  const tb = document.querySelector("#hits tbody");
  const keepSort = live && hits.length === 1 && !hits[0].sort;
  for (const h of hits) {
    const tr = document.createElement("tr");
    tr.className = "hit";
    tr.dataset.test = "hit";
    tr.dataset.id = h._id;
    tr.dataset.index = h._index;
    const ts = get(h._source, "@timestamp");
    const cells = [ts ? fmtTime(Date.parse(ts)) : ""].concat(state.columns.map((c) => cell(get(h._source, c))));
    cells.forEach((v, i) => {
      const td = document.createElement("td");
      td.textContent = v;
      if (state.columns[i - 1] === "log") td.className = "log";
      tr.appendChild(td);
    });
    tr.onclick = () => toggleDetail(tr, h);
    tb.appendChild(tr);
    if (!keepSort) lastSort = h.sort;
  }
}

function toggleDetail(tr, h) {
  if (tr.nextSibling && tr.nextSibling.classList && tr.nextSibling.classList.contains("detail")) { tr.nextSibling.remove(); return; }
  const d = document.createElement("tr");
  d.className = "detail";
  d.dataset.test = "detail";
  const td = document.createElement("td");
  td.colSpan = state.columns.length + 1;
  const table = document.createElement("table");
  for (const [k, v] of flatten(h._source)) {
    const row = document.createElement("tr");
    const a = document.createElement("td"); a.textContent = k; a.style.width = "30%";
    const b = document.createElement("td"); b.textContent = cell(v);
    row.append(a, b);
    table.appendChild(row);
  }
  const pre = document.createElement("pre");
  pre.dataset.test = "json";
  pre.textContent = JSON.stringify(h._source, null, 2);
  const ctx = document.createElement("button");
  ctx.textContent = "Surrounding lines";
  ctx.dataset.test = "context";
  ctx.title = "the lines before and after this one from the same pod and container";
  ctx.onclick = (ev) => { ev.stopPropagation(); openContext(h); };
  td.append(ctx, table, pre);
  d.appendChild(td);
  tr.after(d);
}

// Surrounding lines: the 50 lines before and after a hit from the same pod and container, by
// @timestamp then _doc (the hit's own sort values are where both directions start).
const CONTEXT = 50;
let contextOf = null;

function contextQuery(h) {
  const filter = [];
  for (const f of ["kubernetes.pod_name", "kubernetes.container_name"]) {
    const v = get(h._source, f);
    if (v !== undefined) filter.push({ term: { [f]: v } });
  }
  return { bool: { filter } };
}

async function contextPage(h, after, older) {
  const order = older ? "desc" : "asc";
  const r = await search({ size: CONTEXT, sort: [{ "@timestamp": { order, unmapped_type: "date" } }, { _doc: order }], search_after: after, query: contextQuery(h) });
  return r.hits.hits;
}

function contextLine(h, isHit) {
  const div = document.createElement("div");
  div.className = "cline" + (isHit ? " chit" : "");
  div.dataset.test = "context-line";
  div.dataset.id = h._id;
  if (isHit) div.dataset.hit = "true";
  const ts = get(h._source, "@timestamp");
  div.dataset.time = ts || "";
  div.textContent = (ts ? fmtTime(Date.parse(ts)) : "") + "  " + cell(get(h._source, "log") ?? get(h._source, "message") ?? JSON.stringify(h._source));
  return div;
}

async function openContext(h) {
  contextOf = h;
  const box = $("context");
  box.hidden = false;
  const list = $("context-lines");
  list.textContent = "";
  $("context-title").textContent = ["kubernetes.namespace_name", "kubernetes.pod_name", "kubernetes.container_name"].map((f) => cell(get(h._source, f))).filter(Boolean).join(" / ");
  try {
    const [older, newer] = await Promise.all([contextPage(h, h.sort, true), contextPage(h, h.sort, false)]);
    for (const o of older.slice().reverse()) list.appendChild(contextLine(o, false));
    list.appendChild(contextLine(h, true));
    for (const n of newer) list.appendChild(contextLine(n, false));
    box.dataset.first = JSON.stringify((older[older.length - 1] || h).sort);
    box.dataset.last = JSON.stringify((newer[newer.length - 1] || h).sort);
    list.querySelector(".chit").scrollIntoView({ block: "center" });
    window.__contextRuns = (window.__contextRuns || 0) + 1;
  } catch (e) { $("error").textContent = e.message; }
}

async function moreContext(older) {
  const box = $("context"), list = $("context-lines");
  const from = JSON.parse(older ? box.dataset.first : box.dataset.last);
  const page = await contextPage(contextOf, from, older);
  if (older) { for (const o of page) list.insertBefore(contextLine(o, false), list.firstChild); if (page.length) box.dataset.first = JSON.stringify(page[page.length - 1].sort); }
  else { for (const n of page) list.appendChild(contextLine(n, false)); if (page.length) box.dataset.last = JSON.stringify(page[page.length - 1].sort); }
  window.__contextRuns = (window.__contextRuns || 0) + 1;
}

// The patterns tab: the newest matches (up to 10,000) grouped by template, each with its count
// and a sparkline over the time range; largest or newest first; a click lists its lines.
let patternSort = "count";

async function showPatterns() {
  const id = runId;
  const box = $("patterns-list");
  box.textContent = "";
  const [from, to] = bounds();
  try {
    const r = await search({ size: 10000, track_total_hits: true, sort: [{ "@timestamp": { order: "desc", unmapped_type: "date" } }], _source: ["@timestamp", "log", "message"], query: query(from, to) });
    if (id !== runId) return;
    const lines = r.hits.hits.map((h) => ({ id: h._id, time: Date.parse(get(h._source, "@timestamp")) || 0, text: cell(get(h._source, "log") ?? get(h._source, "message") ?? "") }));
    const pats = cluster(lines);
    pats.sort((a, b) => patternSort === "count" ? b.count - a.count || b.newest - a.newest : b.newest - a.newest || b.count - a.count);
    $("patterns-summary").textContent = pats.length + " patterns in the newest " + lines.length + " of " + r.hits.total.value + " matches";
    $("patterns-summary").dataset.lines = String(lines.length);
    for (const p of pats) {
      const row = document.createElement("div");
      row.className = "pattern";
      row.dataset.test = "pattern";
      row.dataset.count = String(p.count);
      const c = document.createElement("span"); c.className = "pcount"; c.textContent = String(p.count);
      const t = document.createElement("span"); t.className = "ptext"; t.textContent = p.template;
      row.append(c, sparkline(p.lines, from, to), t);
      row.onclick = () => {
        if (row.nextSibling && row.nextSibling.classList && row.nextSibling.classList.contains("plines")) { row.nextSibling.remove(); return; }
        const list = document.createElement("div");
        list.className = "plines";
        for (const l of p.lines.slice(0, 200)) { const d = document.createElement("div"); d.textContent = fmtTime(l.time) + "  " + l.text; list.appendChild(d); }
        row.after(list);
      };
      box.appendChild(row);
    }
    window.__patternRuns = (window.__patternRuns || 0) + 1;
  } catch (e) { $("error").textContent = e.message; }
}

function sparkline(lines, from, to) {
  const n = 30, counts = new Array(n).fill(0);
  for (const l of lines) { const i = Math.floor(((l.time - from) / Math.max(1, to - from)) * n); if (i >= 0 && i < n) counts[i]++; }
  const max = counts.reduce((a, b) => Math.max(a, b), 1);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 " + n + " 10"); svg.setAttribute("preserveAspectRatio", "none"); svg.setAttribute("class", "spark");
  counts.forEach((v, i) => {
    if (!v) return;
    const r = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    r.setAttribute("x", String(i)); r.setAttribute("width", "0.8"); r.setAttribute("y", String(10 - (v / max) * 10)); r.setAttribute("height", String((v / max) * 10));
    svg.appendChild(r);
  });
  return svg;
}

function showTab(which) {
  $("hits").hidden = which !== "hits"; $("more").hidden = which !== "hits";
  $("patterns-view").hidden = which !== "patterns";
  $("tab-hits").classList.toggle("on", which === "hits"); $("patterns").classList.toggle("on", which === "patterns");
  if (which === "patterns") showPatterns();
}

function flatten(o, prefix = "", out = []) {
  for (const [k, v] of Object.entries(o || {})) {
    const p = prefix ? prefix + "." + k : k;
    if (v && typeof v === "object" && !Array.isArray(v)) flatten(v, p, out); else out.push([p, v]);
  }
  return out;
}

function drawHistogram(buckets, from, to, step) {
  const svg = $("histogram");
  svg.textContent = "";
  const n = Math.max(1, Math.ceil((to - from) / step));
  svg.setAttribute("viewBox", "0 0 " + n + " 100");
  const max = Math.max(1, ...buckets.map((b) => b.doc_count));
  const ns = "http://www.w3.org/2000/svg";
  for (const b of buckets) {
    const i = Math.floor((b.key - from) / step);
    if (i < -1 || i > n) continue;
    const r = document.createElementNS(ns, "rect");
    const h = (b.doc_count / max) * 100;
    r.setAttribute("x", String(i + 0.05)); r.setAttribute("width", "0.9");
    r.setAttribute("y", String(100 - h)); r.setAttribute("height", String(h));
    r.setAttribute("class", "bar");
    r.dataset.test = "histogram-bar";
    r.dataset.key = String(b.key);
    r.dataset.count = String(b.doc_count);
    const t = document.createElementNS(ns, "title");
    t.textContent = fmtTime(b.key) + ": " + b.doc_count;
    r.appendChild(t);
    svg.appendChild(r);
  }
  svg.dataset.from = String(from); svg.dataset.to = String(to);
}

// Drag across the histogram to zoom into that time range.
function setupZoom() {
  const svg = $("histogram");
  let x0 = null, sel = null;
  const frac = (ev) => { const b = svg.getBoundingClientRect(); return Math.min(1, Math.max(0, (ev.clientX - b.left) / b.width)); };
  svg.addEventListener("mousedown", (ev) => {
    x0 = frac(ev);
    sel = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    sel.setAttribute("class", "sel"); sel.setAttribute("y", "0"); sel.setAttribute("height", "100");
    svg.appendChild(sel);
  });
  svg.addEventListener("mousemove", (ev) => {
    if (x0 === null) return;
    const vb = svg.viewBox.baseVal, x1 = frac(ev);
    sel.setAttribute("x", String(Math.min(x0, x1) * vb.width)); sel.setAttribute("width", String(Math.abs(x1 - x0) * vb.width));
  });
  window.addEventListener("mouseup", (ev) => {
    if (x0 === null) return;
    const x1 = frac(ev), a = Math.min(x0, x1), b = Math.max(x0, x1);
    x0 = null; if (sel) sel.remove();
    if (b - a < 0.01) return;
    const from = +svg.dataset.from, to = +svg.dataset.to;
    state.range = "abs";
    state.from = Math.floor(from + a * (to - from));
    state.to = Math.ceil(from + b * (to - from));
    syncControls();
    run();
  });
}

let openField = null;

async function loadFields() {
  const aside = $("fields");
  aside.textContent = "";
  try {
    const r = await api("GET", "/" + encodeURIComponent(state.index) + "/_field_caps?fields=*&ignore_unavailable=true&allow_no_indices=true");
    fieldCaps = {};
    for (const [f, types] of Object.entries(r.fields || {})) {
      if (f.startsWith("_")) continue;
      const t = Object.values(types)[0];
      if (t.type === "object") continue;
      fieldCaps[f] = { type: t.type, aggregatable: Object.values(types).some((x) => x.aggregatable) };
    }
  } catch (e) { $("error").textContent = e.message; }
  for (const f of Object.keys(fieldCaps).sort()) {
    const div = document.createElement("div");
    div.className = "field";
    div.dataset.test = "field";
    div.dataset.field = f;
    div.textContent = f;
    div.title = fieldCaps[f].type + (fieldCaps[f].aggregatable ? "" : " (not aggregatable)");
    div.onclick = () => { openField = openField === f ? null : f; document.querySelectorAll("aside .values").forEach((e) => e.remove()); if (openField) showValues(f); };
    aside.appendChild(div);
  }
}

// The field's top 5 values in the current result (terms over the matches).
async function showValues(f) {
  const div = document.querySelector('aside .field[data-field="' + CSS.escape(f) + '"]');
  if (!div) return;
  document.querySelectorAll("aside .values").forEach((e) => e.remove());
  const box = document.createElement("div");
  box.className = "values";
  div.after(box);
  const add = document.createElement("button");
  add.textContent = state.columns.includes(f) ? "remove column" : "add as column";
  add.dataset.test = "add-column";
  add.onclick = () => { state.columns = state.columns.includes(f) ? state.columns.filter((c) => c !== f) : state.columns.concat([f]); run(); };
  box.appendChild(add);
  const aggField = fieldCaps[f] && fieldCaps[f].aggregatable ? f : (fieldCaps[f + ".keyword"] ? f + ".keyword" : null);
  if (!aggField) { const m = document.createElement("div"); m.className = "muted"; m.textContent = "not aggregatable"; box.appendChild(m); return; }
  const [from, to] = bounds();
  try {
    const r = await search({ size: 0, query: query(from, to), aggs: { v: { terms: { field: aggField, size: 5 } } } });
    for (const b of r.aggregations.v.buckets) {
      const key = b.key_as_string !== undefined ? b.key_as_string : b.key;
      const row = document.createElement("div");
      row.className = "value";
      const v = document.createElement("span");
      v.className = "v";
      v.dataset.test = "field-value";
      v.dataset.field = aggField;
      v.dataset.value = String(key);
      v.dataset.count = String(b.doc_count);
      v.textContent = String(key) + " (" + b.doc_count + ")";
      v.title = "filter for this value";
      v.style.cursor = "pointer";
      v.onclick = () => addFilter(aggField, b.key, false);
      const minus = document.createElement("button");
      minus.textContent = "−"; minus.title = "filter out this value"; minus.dataset.test = "field-value-out";
      minus.onclick = () => addFilter(aggField, b.key, true);
      row.append(v, minus);
      box.appendChild(row);
    }
  } catch (e) { $("error").textContent = e.message; }
}

function addFilter(field, value, neg) {
  if (!state.filters.some((f) => f.field === field && f.value === value && !!f.neg === neg)) state.filters.push({ field, value, neg });
  run();
}

function renderFilters() {
  const box = $("filters");
  box.textContent = "";
  state.filters.forEach((f, i) => {
    const p = document.createElement("span");
    p.className = "pill" + (f.neg ? " neg" : "");
    p.dataset.test = "filter";
    p.textContent = (f.neg ? "NOT " : "") + f.field + ": " + f.value;
    const x = document.createElement("button");
    x.textContent = "×"; x.title = "remove filter"; x.dataset.test = "filter-remove";
    x.onclick = () => { state.filters.splice(i, 1); run(); };
    p.appendChild(x);
    box.appendChild(p);
  });
}

function toLocalInput(ms) { const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60e3); return d.toISOString().slice(0, 19); }

function syncControls() {
  $("query").value = state.q;
  $("range").value = state.range;
  $("abs").hidden = state.range !== "abs";
  if (state.range === "abs") { $("from").value = toLocalInput(state.from); $("to").value = toLocalInput(state.to); }
}

async function loadIndices() {
  const sel = $("index");
  const names = new Set(["logstash-*", state.index]);
  try { for (const r of await api("GET", "/_cat/indices?format=json&h=index&s=index")) names.add(r.index); } catch { /* shown on search */ }
  for (const n of names) { const o = document.createElement("option"); o.value = n; o.textContent = n; sel.appendChild(o); }
  sel.value = state.index;
}

async function main() {
  readURL();
  syncControls();
  $("query").addEventListener("keydown", (ev) => { if (ev.key === "Enter") { state.q = $("query").value.trim(); run(); } });
  $("go").onclick = () => { state.q = $("query").value.trim(); run(); };
  $("live").onchange = () => setLive($("live").checked);
  $("range").onchange = () => {
    state.range = $("range").value;
    if (state.range === "abs") { const [f, t] = [Date.now() - 86400e3, Date.now()]; state.from = f; state.to = t; }
    syncControls(); run();
  };
  for (const id of ["from", "to"]) $(id).onchange = () => { state.from = Date.parse($("from").value); state.to = Date.parse($("to").value); if (state.from < state.to) run(); };
  $("index").onchange = async () => { state.index = $("index").value; state.filters = []; await loadFields(); run(); };
  document.addEventListener("keydown", (ev) => { if (ev.key === "/" && document.activeElement !== $("query")) { ev.preventDefault(); $("query").focus(); } });
  new IntersectionObserver((es) => { if (es.some((e) => e.isIntersecting)) more(); }).observe($("more"));
  setupZoom();
  $("context-close").onclick = () => { $("context").hidden = true; };
  $("tab-hits").onclick = () => showTab("hits");
  $("patterns").onclick = () => showTab("patterns");
  $("pattern-sort").onchange = () => { patternSort = $("pattern-sort").value; showPatterns(); };
  $("context-earlier").onclick = () => moreContext(true);
  $("context-later").onclick = () => moreContext(false);
  await loadIndices();
  await loadFields();
  await run();
}

main();
