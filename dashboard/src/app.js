// Portico's dashboard. Polls the admin listener's JSON endpoints once a second (same origin)
// and renders the routes, the charts (uPlot), the functions, the cost on AWS and a live tail
// of requests. Plain ES modules: no framework, no bundler, nothing from the network but the
// admin listener.

/** How often the endpoints are polled, in milliseconds. */
const POLL_MS = 1000;
/** The seconds of a route's `last_minute`, which its rate is computed over. */
const RECENT_SECONDS = 60;
/** How long one answer may take before the page says the admin listener does not answer. */
const FETCH_TIMEOUT_MS = 5000;
/** How many tail entries the page keeps, and how many rows it shows. */
const TAIL_KEEP = 1000;
const TAIL_SHOWN = 200;
/** The most entries one `/api/tail` answer carries (the server's page): a full page means
 * more are waiting. */
const TAIL_PAGE = 200;
/** The most `/api/tail` answers read in one poll when catching up. */
const TAIL_PAGES = 5;
const CHART_HEIGHT = 180;

const uPlot = globalThis.uPlot;
const $ = (id) => document.getElementById(id);

const state = {
  /** The last `/api/traffic` answer. */
  traffic: null,
  /** The key of the route the charts show, or null for all of them. */
  selected: null,
  /** Tail entries, newest first; `held` are those that came while paused. */
  tail: [],
  held: [],
  /** The `next` of the last `/api/tail` answer, or null before the first. */
  tailAfter: null,
  paused: false,
  filter: "",
  tailDirty: true,
};

// ---- formatting ----

const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

function ms(value) {
  if (value == null || Number.isNaN(value)) return "–";
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return Math.round(value).toString();
}

function usd(value) {
  if (value == null) return "–";
  if (value === 0) return "$0";
  // Two significant digits for fractions of a cent, never in exponent notation.
  if (Math.abs(value) < 0.01) return `$${value.toFixed(Math.min(12, 1 - Math.floor(Math.log10(Math.abs(value)))))}`;
  return `$${value.toFixed(2)}`;
}

function clock(date, millis = false) {
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  const text = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return millis ? `${text}.${pad(date.getMilliseconds(), 3)}` : text;
}

/** What people call the front door a target names: `api:shop` is the HTTP API "shop". */
function door(target) {
  const colon = target.indexOf(":");
  const [kind, name] = colon < 0 ? [target, ""] : [target.slice(0, colon), target.slice(colon + 1)];
  switch (kind) {
    case "url": return `Function URL ${name}`;
    case "api": return `HTTP API ${name}`;
    case "rest": return `REST API ${name}`;
    case "lambda": return "Invoke API";
    default: return target;
  }
}

/** A route's name in the table: Function URLs take every path; an empty route matched none
 * (for the Invoke API: named no function of the config). */
function routeName(route) {
  if (route.route) return route.route;
  if (route.target === "lambda") return "(no such function)";
  return route.target.startsWith("url:") ? "(every path)" : "(no matching route)";
}

const keyOf = (r) => JSON.stringify([r.target, r.stage, r.route]);

// ---- fetching ----

async function getJson(url) {
  let response;
  try {
    response = await fetch(url, {
      cache: "no-store",
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (e) {
    throw new Error(`GET ${url}: the admin listener cannot be reached (${e.message})`);
  }
  if (!response.ok) {
    const text = (await response.text()).trim();
    const error = new Error(`GET ${url}: ${response.status}${text ? ` ${text}` : ""}`);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

// ---- routes ----

/** A route's last minute, as the server summed it (percentiles over all its latencies). */
function recent(route) {
  const m = route.last_minute;
  const seen = m.requests > 0;
  return {
    rate: m.requests / RECENT_SECONDS,
    errorRate: seen ? (100 * (m.errors_4xx + m.errors_5xx)) / m.requests : null,
    p50: seen ? m.p50_ms : null,
    p90: seen ? m.p90_ms : null,
    p99: seen ? m.p99_ms : null,
  };
}

function cell(row, col, numeric = false) {
  const td = document.createElement("td");
  td.dataset.col = col;
  if (numeric) td.className = "num";
  row.append(td);
  return td;
}

function routeRow(route) {
  const tr = document.createElement("tr");
  tr.dataset.testid = "route-row";
  tr.dataset.key = keyOf(route);
  tr.dataset.target = route.target;
  tr.dataset.stage = route.stage;
  tr.dataset.route = route.route;
  cell(tr, "door").textContent = door(route.target);
  cell(tr, "stage").textContent = route.stage || "–";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "select";
  button.textContent = routeName(route);
  button.setAttribute("aria-pressed", "false");
  button.title = "Chart this route (again for all routes)";
  cell(tr, "route").append(button);
  const url = cell(tr, "url");
  if (route.url) {
    const a = document.createElement("a");
    a.href = route.url;
    a.textContent = route.url;
    url.append(a);
  } else {
    url.textContent = "–";
  }
  for (const col of ["rate", "errors", "p50", "p90", "p99", "requests"]) cell(tr, col, true);
  tr.addEventListener("click", (event) => {
    if (event.target.closest("a")) return;
    select(state.selected === tr.dataset.key ? null : tr.dataset.key);
  });
  return tr;
}

function renderRoutes() {
  const { routes } = state.traffic;
  const body = $("routes");
  const rows = new Map([...body.querySelectorAll("tr[data-key]")].map((tr) => [tr.dataset.key, tr]));
  const wanted = routes.map(keyOf);
  for (const [key, tr] of rows) if (!wanted.includes(key)) tr.remove();
  body.querySelector("tr.empty")?.remove();
  if (!routes.length) {
    const tr = document.createElement("tr");
    tr.className = "empty";
    const td = cell(tr, "empty");
    td.colSpan = 10;
    td.textContent = "No routes: the running config serves none yet.";
    body.append(tr);
  }
  routes.forEach((route, i) => {
    const key = wanted[i];
    let tr = rows.get(key);
    if (!tr) tr = routeRow(route);
    if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] ?? null);
    const r = recent(route);
    const set = (col, text) => {
      const td = tr.querySelector(`td[data-col="${col}"]`);
      if (td.textContent !== text) td.textContent = text;
    };
    set("rate", number.format(r.rate));
    set("errors", r.errorRate == null ? "–" : `${number.format(r.errorRate)} %`);
    set("p50", ms(r.p50));
    set("p90", ms(r.p90));
    set("p99", ms(r.p99));
    set("requests", String(route.totals.requests));
    const errors = route.totals.errors_4xx + route.totals.errors_5xx;
    tr.title = `${route.totals.requests} requests in all: ${route.totals.errors_4xx} 4xx, ${route.totals.errors_5xx} 5xx`;
    tr.classList.toggle("failing", errors > 0 && r.errorRate > 0);
    const selected = key === state.selected;
    tr.classList.toggle("selected", selected);
    tr.querySelector("button.select").setAttribute("aria-pressed", String(selected));
  });
}

function select(key) {
  state.selected = key;
  if (state.traffic) {
    renderRoutes();
    renderCharts();
  }
}

// ---- charts ----

const charts = {};

const CHARTS = {
  requests: [{ label: "requests/s", color: "--c1", fill: true }],
  errors: [
    { label: "4xx/s", color: "--c2" },
    { label: "5xx/s", color: "--c3" },
  ],
  latency: [
    { label: "p50", color: "--c1", gaps: true },
    { label: "p90", color: "--c2", gaps: true },
    { label: "p99", color: "--c3", gaps: true },
  ],
};

function makeChart(name) {
  const el = $(`chart-${name}`);
  const css = getComputedStyle(document.documentElement);
  const v = (property) => css.getPropertyValue(property).trim();
  const axis = {
    stroke: v("--muted"),
    grid: { stroke: v("--grid"), width: 1 },
    ticks: { stroke: v("--grid"), width: 1 },
  };
  const series = CHARTS[name].map((s) => ({
    label: s.label,
    stroke: v(s.color),
    width: 1.5,
    fill: s.fill ? v("--c1-fill") : undefined,
    spanGaps: false,
    // A second of traffic alone is a point, not a line.
    points: { show: Boolean(s.gaps), size: 5 },
    value: (u, value) => (value == null ? "–" : name === "latency" ? `${ms(value)} ms` : number.format(value)),
  }));
  const options = {
    width: Math.max(el.clientWidth, 200),
    height: CHART_HEIGHT,
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    series: [{ label: "time", value: (u, t) => (t == null ? "–" : clock(new Date(t * 1000))) }, ...series],
    axes: [axis, { ...axis, size: 48 }],
    cursor: { drag: { x: false, y: false } },
  };
  const empty = [[], ...series.map(() => [])];
  charts[name]?.destroy();
  charts[name] = new uPlot(options, empty, el);
}

function makeCharts() {
  for (const name of Object.keys(CHARTS)) makeChart(name);
  if (state.traffic) renderCharts();
}

/** The per-second series of the chosen routes over the window, and the latency route. */
function renderCharts() {
  const { routes, now, seconds } = state.traffic;
  const start = now - seconds + 1;
  const xs = Array.from({ length: seconds }, (_, i) => start + i);
  const slot = (t) => t - start;
  const inWindow = (p) => p.t >= start && p.t <= now;

  const chosen = state.selected == null ? routes : routes.filter((r) => keyOf(r) === state.selected);
  const requests = new Array(seconds).fill(0);
  const e4 = new Array(seconds).fill(0);
  const e5 = new Array(seconds).fill(0);
  const busy = new Set();
  for (const route of chosen) {
    for (const p of route.points.filter(inWindow)) {
      requests[slot(p.t)] += p.requests;
      e4[slot(p.t)] += p.errors_4xx;
      e5[slot(p.t)] += p.errors_5xx;
      busy.add(p.t);
    }
  }

  // Percentiles do not add up: the latency chart shows one route, the busiest by default.
  let latencyRoute = chosen[0] ?? null;
  if (state.selected == null) {
    const count = (r) => r.points.filter(inWindow).reduce((n, p) => n + p.requests, 0);
    latencyRoute = routes.reduce((best, r) => (best == null || count(r) > count(best) ? r : best), null);
    if (latencyRoute && count(latencyRoute) === 0) latencyRoute = null;
  }
  const p50 = new Array(seconds).fill(null);
  const p90 = new Array(seconds).fill(null);
  const p99 = new Array(seconds).fill(null);
  let latencyPoints = 0;
  for (const p of latencyRoute?.points.filter(inWindow) ?? []) {
    p50[slot(p.t)] = p.p50_ms;
    p90[slot(p.t)] = p.p90_ms;
    p99[slot(p.t)] = p.p99_ms;
    latencyPoints += 1;
  }

  charts.requests.setData([xs, requests]);
  charts.errors.setData([xs, e4, e5]);
  charts.latency.setData([xs, p50, p90, p99]);
  $("chart-requests").dataset.points = String(busy.size);
  $("chart-errors").dataset.points = String(busy.size);
  $("chart-latency").dataset.points = String(latencyPoints);

  const minutes = seconds / 60;
  $("window").textContent = Number.isInteger(minutes) ? `${minutes} minute${minutes === 1 ? "" : "s"}` : `${seconds} seconds`;
  const name = (r) => `${door(r.target)}${r.stage ? ` ${r.stage}` : ""} ${routeName(r)}`;
  $("selection").textContent = state.selected == null ? "all routes" : chosen.length ? name(chosen[0]) : "a route no longer served";
  $("latency-of").textContent = latencyRoute == null ? "" : state.selected == null ? `(busiest: ${name(latencyRoute)})` : "";
}

// ---- functions ----

function renderFunctions(functions) {
  const body = $("functions");
  const rows = functions.map((f) => {
    const tr = document.createElement("tr");
    tr.dataset.testid = "function-row";
    tr.dataset.name = f.name;
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = f.name;
    tr.append(th);
    for (const col of ["instances", "busy", "concurrency", "cold_starts", "invocations"]) {
      cell(tr, col, true).textContent = f[col] == null ? "–" : String(f[col]);
    }
    return tr;
  });
  if (!rows.length) {
    const tr = document.createElement("tr");
    const td = cell(tr, "empty");
    td.colSpan = 6;
    td.textContent = "No functions.";
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

// ---- cost ----

/** The cost estimate, or null when there is nothing new to show. */
function renderCost(cost) {
  $("cost").dataset.state = "shown";
  const minutes = cost.window_seconds / 60;
  const span = minutes >= 1 ? `${number.format(minutes)} min` : `${number.format(cost.window_seconds)} s`;
  $("cost-summary").textContent = `What the last ${span} of traffic (${cost.requests} requests) would cost behind each front door, cheapest first.`;

  const labels = new Map(cost.fronts.map((f) => [f.front, f.label]));
  const fronts = [...cost.fronts].sort((a, b) => a.usd - b.usd);
  $("cost-fronts").replaceChildren(...fronts.map((f, i) => {
    const li = document.createElement("li");
    li.dataset.testid = "cost-front";
    li.dataset.front = f.front;
    const head = document.createElement("div");
    head.className = "front";
    const label = document.createElement("strong");
    label.textContent = f.label;
    const total = document.createElement("span");
    total.className = "num";
    total.textContent = usd(f.usd);
    const per = document.createElement("span");
    per.className = "hint";
    per.textContent = `${usd(f.usd_per_million)} per million requests`;
    head.append(label, total, per);
    if (i === 0 && fronts.length > 1) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "cheapest";
      label.after(badge);
    }
    const lines = document.createElement("ul");
    lines.className = "lines";
    for (const line of f.lines) {
      const item = document.createElement("li");
      const amount = document.createElement("span");
      amount.className = "num";
      amount.textContent = usd(line.usd);
      item.append(`${line.item} `, amount);
      lines.append(item);
    }
    li.append(head, lines);
    return li;
  }));

  $("cost-warnings").replaceChildren(...cost.warnings.map((w) => {
    const li = document.createElement("li");
    li.dataset.testid = "cost-warning";
    const where = [door(w.target), w.stage, w.route].filter(Boolean).join(" ");
    li.textContent = `${where}: behind ${labels.get(w.front) ?? w.front} it would break the ${w.limit} limit (seen: ${w.observed})`;
    return li;
  }));
  const notes = cost.notes;
  $("cost-notes").replaceChildren(...notes.map((note) => {
    const li = document.createElement("li");
    li.textContent = note;
    return li;
  }));
}

// ---- tail ----

async function pollTail() {
  for (let page = 0; page < TAIL_PAGES; page += 1) {
    const url = state.tailAfter == null ? "/api/tail" : `/api/tail?after=${state.tailAfter}`;
    const answer = await getJson(url);
    const entries = answer.entries ?? [];
    // `next` is the sequence number to ask after next time (lower if Portico restarted).
    state.tailAfter = Number.isInteger(answer.next) ? answer.next : Math.max(state.tailAfter ?? 0, ...entries.map((e) => e.seq));
    if (!entries.length) return;
    const newest = entries.slice().reverse();
    if (state.paused) {
      state.held = newest.concat(state.held).slice(0, TAIL_KEEP);
    } else {
      state.tail = newest.concat(state.tail).slice(0, TAIL_KEEP);
      state.tailDirty = true;
    }
    if (entries.length < TAIL_PAGE) return;
  }
}

function matches(entry, terms) {
  const fields = [entry.request_id, entry.route, entry.path, String(entry.status), entry.method, door(entry.target)]
    .filter((f) => f != null)
    .map((f) => String(f).toLowerCase());
  return terms.every((term) => fields.some((f) => f.includes(term)));
}

function renderTail() {
  const pause = $("pause");
  pause.textContent = state.paused ? `Resume${state.held.length ? ` (${state.held.length} new)` : ""}` : "Pause";
  pause.setAttribute("aria-pressed", String(state.paused));
  if (!state.tailDirty) return;
  state.tailDirty = false;
  const terms = state.filter.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = [];
  let matching = 0;
  for (const entry of state.tail) {
    if (!matches(entry, terms)) continue;
    matching += 1;
    if (shown.length < TAIL_SHOWN) shown.push(entry);
  }
  $("tail").replaceChildren(...shown.map((e) => {
    const tr = document.createElement("tr");
    tr.dataset.testid = "tail-row";
    tr.dataset.requestId = e.request_id ?? "";
    tr.dataset.status = String(e.status);
    if (e.status >= 500) tr.className = "status-5xx";
    else if (e.status >= 400) tr.className = "status-4xx";
    cell(tr, "time").textContent = clock(new Date(e.time_ms), true);
    const id = cell(tr, "request_id");
    id.className = "mono";
    id.textContent = e.request_id ?? "–";
    cell(tr, "door").textContent = door(e.target);
    cell(tr, "route").textContent = [e.stage, e.route].filter(Boolean).join(" ") || "–";
    cell(tr, "method").textContent = e.method;
    const path = cell(tr, "path");
    path.className = "mono";
    path.textContent = e.path;
    cell(tr, "status", true).textContent = String(e.status);
    cell(tr, "latency", true).textContent = ms(e.latency_ms);
    cell(tr, "error").textContent = e.error ?? "";
    return tr;
  }));
  const total = state.tail.length;
  $("tail-count").textContent = terms.length
    ? `${matching} of ${total} requests match${matching > TAIL_SHOWN ? `, newest ${TAIL_SHOWN} shown` : ""}`
    : `${total} request${total === 1 ? "" : "s"}${total > TAIL_SHOWN ? `, newest ${TAIL_SHOWN} shown` : ""}`;
}

// ---- the loop ----

/** One poll, then the next one a second later, whatever happened in this one. */
async function tick() {
  try {
    await poll();
  } catch (e) {
    const status = $("status");
    status.classList.add("error");
    status.textContent = `The page failed to show the last answers: ${e.message}`;
  } finally {
    setTimeout(tick, POLL_MS);
  }
}

async function poll() {
  const [traffic, functions, tail, cost] = await Promise.allSettled([
    getJson("/api/traffic"),
    getJson("/api/functions"),
    pollTail(),
    getJson("/api/cost"),
  ]);
  const problems = [];
  if (traffic.status === "fulfilled") {
    state.traffic = traffic.value;
    $("now").textContent = clock(new Date(state.traffic.now * 1000));
    $("now").dateTime = new Date(state.traffic.now * 1000).toISOString();
    renderRoutes();
    renderCharts();
  } else problems.push(traffic.reason.message);
  if (functions.status === "fulfilled") renderFunctions(functions.value);
  else problems.push(functions.reason.message);
  if (tail.status === "rejected") problems.push(tail.reason.message);
  renderTail();
  if (cost.status === "rejected") problems.push(cost.reason.message);
  else renderCost(cost.value);

  const status = $("status");
  status.classList.toggle("error", problems.length > 0);
  const dropped = state.traffic?.dropped ? ` (${state.traffic.dropped} requests came too fast to be counted)` : "";
  status.textContent = problems.length ? problems.join(" · ") : `Live, updated ${clock(new Date())}${dropped}`;
  document.body.dataset.polls = String(Number(document.body.dataset.polls ?? 0) + 1);
}

function start() {
  $("filter").addEventListener("input", (event) => {
    state.filter = event.target.value;
    state.tailDirty = true;
    renderTail();
  });
  $("pause").addEventListener("click", () => {
    state.paused = !state.paused;
    if (!state.paused) {
      state.tail = state.held.concat(state.tail).slice(0, TAIL_KEEP);
      state.held = [];
      state.tailDirty = true;
    }
    renderTail();
  });
  makeCharts();
  for (const name of Object.keys(CHARTS)) {
    const el = $(`chart-${name}`);
    new ResizeObserver(() => {
      const width = Math.max(el.clientWidth, 200);
      if (charts[name] && charts[name].width !== width) charts[name].setSize({ width, height: CHART_HEIGHT });
    }).observe(el);
  }
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", makeCharts);
  tick();
}

if (uPlot) start();
else $("status").textContent = "uPlot did not load: the dashboard's assets were not built; install Node.js and npm and rebuild.";
