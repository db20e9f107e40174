// Drives the dashboard in headless Chromium (Debian's, through playwright-core from
// dashboard/node_modules) for tests/e2e/dashboard.rs.
//
// Usage: node dashboard.mjs <dashboard URL> <JSON: the routes the config serves, as
// [{target, stage, route}]>
//
// It loads the page and waits until every route is listed, then prints `ready`. It then reads
// one line from stdin, `go <JSON>`, sent once the test's traffic has been answered:
// {"totals": [{target, stage, route, requests}], "request_ids": [...],
//  "function": {name, and the counts to wait for: invocations, busy, ...},
//  "select": {target, stage, route}}.
// It waits (polling the page, never a fixed pause) until the page shows that traffic, filters
// the tail by one request id, selects a route, and prints one JSON verdict of what it saw.
// A wait that runs out is named in the verdict's `timed_out`; the test asserts the rest.

import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(new URL('../../../../../dashboard/package.json', import.meta.url));
const { chromium } = require('playwright-core');

/** How long one wait may take: the page polls once a second. */
const PATIENCE_MS = 30_000;

const [url, routesJson] = process.argv.slice(2);
const routes = JSON.parse(routesJson);
const origin = new URL(url).origin;

// Nothing may keep the test waiting for ever.
setTimeout(() => {
  console.log(JSON.stringify({ timed_out: ['the whole script (120 s)'] }));
  process.exit(1);
}, 120_000).unref();

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const verdict = { timed_out: [] };
// Each problem once, however often the page polls into it.
const problems = { errors: new Set(), elsewhere: new Set(), failed: new Set() };
const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
page.on('pageerror', (e) => problems.errors.add(`page error: ${e.message}`));
page.on('console', (m) => {
  if (m.type() === 'error') problems.errors.add(`console: ${m.text()}`);
});
page.on('request', (r) => {
  if (!r.url().startsWith(`${origin}/`)) problems.elsewhere.add(r.url());
});
page.on('response', (r) => {
  if (r.status() >= 400) problems.failed.add(`${r.status()} ${new URL(r.url()).pathname}`);
});

/** Waits until `fn(arg)` is true in the page; a timeout is recorded under `what`. */
async function until(what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: PATIENCE_MS, polling: 100 });
    return true;
  } catch (e) {
    verdict.timed_out.push(what);
    return false;
  }
}

/** The route rows as the page shows them. */
const rows = () => page.$$eval('[data-testid="route-row"]', (trs) => trs.map((tr) => ({
  target: tr.dataset.target,
  stage: tr.dataset.stage,
  route: tr.dataset.route,
  requests: Number(tr.querySelector('[data-col="requests"]').textContent),
})));
const tailIds = () => page.$$eval('[data-testid="tail-row"]', (trs) => trs.map((tr) => tr.dataset.requestId));

function finish() {
  for (const [key, set] of Object.entries(problems)) verdict[key] = [...set];
  console.log(JSON.stringify(verdict));
  return browser.close();
}

await page.goto(url);
const listed = await until('every configured route listed', (expected) => {
  const shown = [...document.querySelectorAll('[data-testid="route-row"]')].map((tr) => tr.dataset);
  return expected.every((r) => shown.some((s) => s.target === r.target && s.stage === r.stage && s.route === r.route));
}, routes);
verdict.listed = await rows();
if (!listed) {
  await finish();
  process.exit(0);
}
console.log('ready');

const lines = createInterface({ input: process.stdin });
const go = await new Promise((resolve) => lines.once('line', resolve));
const expect = JSON.parse(go.replace(/^go\s*/, ''));

await until('the totals of the traffic', (totals) => totals.every((t) => [...document.querySelectorAll('[data-testid="route-row"]')]
  .some((tr) => tr.dataset.target === t.target && tr.dataset.stage === t.stage && tr.dataset.route === t.route
    && Number(tr.querySelector('[data-col="requests"]').textContent) === t.requests)), expect.totals);
await until('points in the charts', () => ['requests', 'errors', 'latency']
  .every((c) => Number(document.querySelector(`[data-testid="chart-${c}"]`).dataset.points) >= 1));
await until('the request ids in the tail', (ids) => ids.every((id) => document.querySelector(`[data-testid="tail-row"][data-request-id="${id}"]`)), expect.request_ids);
await until('the function\'s counts', (f) => {
  const tr = document.querySelector(`[data-testid="function-row"][data-name="${f.name}"]`);
  return tr && Object.entries(f).every(([col, value]) => col === 'name'
    || Number(tr.querySelector(`[data-col="${col}"]`).textContent) === value);
}, expect.function);
await until('the cost panel filled', () => document.querySelector('[data-testid="cost"]').dataset.state);
verdict.routes = await rows();
verdict.cost = await page.$eval('[data-testid="cost"]', (el) => ({
  state: el.dataset.state ?? null,
  fronts: [...el.querySelectorAll('[data-testid="cost-front"]')].map((li) => li.dataset.front),
  warnings: el.querySelectorAll('[data-testid="cost-warning"]').length,
}));
verdict.points = await page.$$eval('[data-testid^="chart-"]', (els) => Object.fromEntries(els.map((el) => [el.dataset.testid.slice(6), Number(el.dataset.points)])));
verdict.tail = await tailIds();
verdict.functions = await page.$$eval('[data-testid="function-row"]', (trs) => trs.map((tr) => Object.fromEntries(
  [['name', tr.dataset.name], ...[...tr.querySelectorAll('td[data-col]')].map((td) => [td.dataset.col, Number(td.textContent)])])));

// The filter narrows the tail to the one request.
const one = expect.request_ids[0];
await page.getByLabel('Filter').fill(one);
await until('the filter narrowing the tail', (id) => {
  const trs = document.querySelectorAll('[data-testid="tail-row"]');
  return trs.length === 1 && trs[0].dataset.requestId === id;
}, one);
verdict.filtered = await tailIds();
await page.getByLabel('Filter').fill('');

// Selecting a route charts it alone.
const s = expect.select;
await page.locator(`[data-testid="route-row"][data-target="${s.target}"][data-stage="${s.stage}"][data-route="${s.route}"] button`).click();
await until('the selected route charted', (r) => document.querySelector('[data-testid="selection"]').textContent.includes(r.route), s);
verdict.selection = await page.locator('[data-testid="selection"]').textContent();
verdict.selected_points = Number(await page.locator('[data-testid="chart-requests"]').getAttribute('data-points'));
verdict.status = await page.locator('[data-testid="status"]').textContent();

if (process.env.PORTICO_DASHBOARD_SCREENSHOT) {
  await page.screenshot({ path: process.env.PORTICO_DASHBOARD_SCREENSHOT, fullPage: true });
}
await finish();
