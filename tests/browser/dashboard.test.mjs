// Opens the operator's built-in dashboard page (controller/runtime/dashboard.cc) in Debian's
// headless Chromium and checks every charted service's charts render with data: points plotted,
// each series a path with more than one point, axis labels and a legend; then that the summary
// table lists the service and the filter narrows table and charts. Saves a full-page screenshot.
// Env: TSO_DASHBOARD_URL (the operator's HTTP root), TSO_SCREENSHOT (PNG path),
//      TSO_EXPECT_SERVICE (namespace/name that must be on the page), TSO_EXPECT_COUNT (how many
//      services the operator has, optional), CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const url = process.env.TSO_DASHBOARD_URL;
const shot = process.env.TSO_SCREENSHOT;
const expected = process.env.TSO_EXPECT_SERVICE;
const expectedCount = Number(process.env.TSO_EXPECT_COUNT || 0);  // services on the page, when known
if (!url || !shot || !expected) {
  console.error('FAIL setup: TSO_DASHBOARD_URL, TSO_SCREENSHOT and TSO_EXPECT_SERVICE are required');
  process.exit(1);
}

let failures = 0;
function check(name, ok, detail) {
  if (ok) console.log(`ok   ${name}`);
  else { console.log(`FAIL ${name}: ${detail}`); failures++; }
}

const profile = mkdtempSync(join(tmpdir(), 'tso-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // ../shared/TOOLCHAIN.md: without the background-networking flags Chromium's outbound
  // attempts are refused by the closed network.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
try {
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url, { waitUntil: 'load', timeout: 20000 });
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 20000 });
  const sel = `div.svc[data-name="${expected}"]`;
  await page.waitForSelector(sel, { timeout: 20000 });

  const services = await page.$$eval('div.svc', (divs) => divs.map((d) => ({
    name: d.dataset.name,
    points: Number(d.dataset.points || 0),
    charts: [...d.querySelectorAll('svg')].map((svg) => ({
      cls: svg.getAttribute('class'),
      series: [...svg.querySelectorAll('path.series')].map((p) => ({
        name: p.dataset.name, d: p.getAttribute('d') || '',
      })),
      texts: [...svg.querySelectorAll('text')].map((t) => t.textContent),
      axisTitles: [...svg.querySelectorAll('text.axis-title')].map((t) => t.textContent),
      legend: [...svg.querySelectorAll('.legend-item')].map((t) => t.textContent),
      width: svg.getBoundingClientRect().width,
      height: svg.getBoundingClientRect().height,
    })),
  })));

  check('the page lists services', services.length > 0, 'no div.svc');
  check(`${expected} is on the page`, services.some((s) => s.name === expected), services.map((s) => s.name).join(', '));
  for (const s of services) {
    check(`${s.name}: data-points > 0`, s.points > 0, `data-points=${s.points}`);
    check(`${s.name}: two charts (demand, replicas)`, s.charts.length === 2, `${s.charts.length} svg elements`);
    for (const c of s.charts) {
      const label = `${s.name} ${c.cls}`;
      check(`${label}: visible`, c.width > 200 && c.height > 100, `${c.width}x${c.height}`);
      check(`${label}: has series`, c.series.length > 0, 'no path.series');
      for (const p of c.series) {
        const moves = (p.d.match(/[ML]/g) || []).length;
        check(`${label} "${p.name}": a line with points`, moves >= 2 && !/NaN|undefined/.test(p.d), `d="${p.d.slice(0, 80)}"`);
      }
      check(`${label}: axis titles with units`, c.axisTitles.length >= 2, JSON.stringify(c.axisTitles));
      check(`${label}: legend names every series`, c.series.every((p) => c.legend.includes(p.name)),
        `legend=${JSON.stringify(c.legend)} series=${JSON.stringify(c.series.map((p) => p.name))}`);
      check(`${label}: tick labels`, c.texts.length >= 8, `${c.texts.length} text elements`);
    }
  }
  // The summary table lists every service; only the first 10 by name get charts.
  const rows = await page.$$eval('table.summary tbody tr', (trs) => trs.map((tr) => tr.dataset.name));
  check(`summary table lists ${expected}`, rows.includes(expected), JSON.stringify(rows));
  if (expectedCount > 0) {
    check(`summary table lists all ${expectedCount} services`, rows.length === expectedCount, `${rows.length} rows`);
    const charted = services.map((s) => s.name);
    const firstTen = [...rows].sort().slice(0, 10);
    check('charts for the first 10 services by name, no more', JSON.stringify(charted) === JSON.stringify(firstTen),
      `charted ${JSON.stringify(charted)}, first ten ${JSON.stringify(firstTen)}`);
  }
  // The filter narrows both the table and the charts.
  await page.fill('#filter', 'no-such-service-xyz');
  await page.waitForFunction(() => document.querySelectorAll('div.svc').length === 0, null, { timeout: 10000 })
    .catch(() => {});
  const afterMiss = await page.evaluate(() => ({
    charts: document.querySelectorAll('div.svc').length,
    rows: document.querySelectorAll('table.summary tbody tr').length,
    message: document.getElementById('empty').textContent,
  }));
  check('a filter that matches nothing leaves no charts and no rows', afterMiss.charts === 0 && afterMiss.rows === 0,
    JSON.stringify(afterMiss));
  check('and says so', afterMiss.message.includes('No service matches'), JSON.stringify(afterMiss.message));
  // A click on a row charts that service alone, though its name is a prefix of others (web,
  // web-01, ...).
  await page.fill('#filter', '');
  const row = `table.summary tr[data-name="${expected}"]`;
  await page.waitForSelector(row, { timeout: 10000 }).catch(() => {});
  await page.click(row, { timeout: 10000 }).catch((e) => check(`click on the row of ${expected}`, false, String(e)));
  await page.waitForFunction(() => document.querySelectorAll('div.svc').length === 1, null, { timeout: 10000 })
    .catch(() => {});
  const filterValue = await page.inputValue('#filter');
  check('a click on a row puts its name in the filter', filterValue === expected, JSON.stringify(filterValue));
  const afterHit = await page.$$eval('div.svc', (divs) => divs.map((d) => d.dataset.name));
  check(`then ${expected} alone is charted`, afterHit.length === 1 && afterHit[0] === expected,
    JSON.stringify(afterHit));
  // A hidden tab stops polling (every 5 s otherwise) and refreshes as soon as it is shown.
  let apiRequests = 0;
  page.on('request', (r) => { if (r.url().includes('/api/services')) apiRequests++; });
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.waitForTimeout(500);  // a refresh already in flight finishes
  apiRequests = 0;
  await page.waitForTimeout(11000);
  check('a hidden page does not poll /api/services', apiRequests === 0, `${apiRequests} requests in 11 s`);
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.waitForTimeout(1000);
  check('shown again, it refreshes at once', apiRequests >= 1, `${apiRequests} requests in 1 s`);
  check('no script errors on the page', errors.length === 0, errors.join(' | '));
  mkdirSync(dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(failures === 0 ? 'PASS' : `${failures} checks failed`);
process.exit(failures === 0 ? 0 : 1);
