// The web dashboard under a fleet: the `fleet` bench's 50 live sessions (lib/fleet.mjs: a real
// sylkd, the emulator streaming ~100 tokens/s to each, one gRPC Attach client per session, a
// command per turn), run alternately without and with the dashboard open in headless Chromium
// (/usr/bin/chromium driven by playwright-core, as in test/e2e/web-dashboard.test.ts).
//
// With the dashboard, two tabs are open for the whole run:
//   list  the sessions page: every state change of a session as its row shows it, timed against
//         the event's `ts` (sylkd's append time; same machine clock): list_update_p50/p99_ms
//         (the page is told of commits at most every 250 ms, then fetches the list and renders it).
//   nav   a user going from the list to a session and back, a second apart: click on a session →
//         its transcript replayed up to where it was at the click (nav_session_ms), click on
//         "Sylk" → the list shown with every session (nav_list_ms); medians over the runs.
// Both tabs report long tasks (main thread busy ≥ 50 ms: long_tasks, long_task_max_ms) and the
// Event Timing duration of each click (input → next paint: click_p99_ms).
// Relay latency to the CLI clients (emulator write → client receipt, the fleet bench's figure):
// relay_p50/p99_ms without and with the dashboard, medians of RUNS runs each, and their ratio.
// sylkd's CPU likewise. Runs alternate (without, with, with, without, …) so drift cancels out.
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { median, percentile, round } from './stats.mjs';
import { SESSIONS, startFleet } from './lib/fleet.mjs';
import { sessionClient } from './lib/sylkd.mjs';

const CHROMIUM = '/usr/bin/chromium';
const RUNS = Number(process.env.WEB_BENCH_RUNS ?? 3);
const TARGET_NAV_MS = 1000;
/** A user's pause between two navigations. */
const THINK_MS = 1000;

/** Installed in every document of a tab: long tasks, click timings, sessions-list state changes. */
function pageProbe() {
  const report = (kind, value) => window.__benchReport?.(kind, value);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) report('longtask', e.duration);
  }).observe({ type: 'longtask', buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'click') report('click', e.duration);
  }).observe({ type: 'event', durationThreshold: 16, buffered: true });
  document.addEventListener('DOMContentLoaded', () => {
    const body = document.querySelector('#sessions tbody');
    if (body === null) return;
    const seen = new Map();
    new MutationObserver(() => {
      const at = Date.now();
      for (const row of body.querySelectorAll('tr[data-session]')) {
        const id = row.dataset.session;
        const state = row.children[1]?.textContent ?? '';
        const before = seen.get(id);
        seen.set(id, state);
        if (before !== undefined && before !== state) report('state', { id, state, at });
      }
    }).observe(body, { childList: true, subtree: true, characterData: true });
  });
}

async function openTab(browser, url, reports) {
  const page = await browser.newPage();
  await page.exposeFunction('__benchReport', (kind, value) => reports.push({ kind, value }));
  await page.addInitScript(pageProbe);
  // To judge a change of the page's script: the same run with another app.js served in its place.
  const appJs = process.env.WEB_BENCH_APP_JS;
  if (appJs)
    await page.route('**/assets/app.js', (route) => route.fulfill({ path: appJs, contentType: 'text/javascript' }));
  await page.goto(url);
  await page.waitForFunction((n) => document.querySelectorAll('tr[data-session]').length >= n, SESSIONS);
  return page;
}

/** List → a session (transcript replayed to its seq at the click) → list, until `done()`. */
async function navigate(page, sessions, done) {
  const toSession = [];
  const toList = [];
  for (let i = 0; !done(); i++) {
    const id = sessions[i % sessions.length].id;
    const lastSeq = await page.evaluate(
      async (sid) => (await (await fetch(`/api/sessions/${sid}`)).json()).session.lastSeq,
      id,
    );
    let t0 = performance.now();
    await page.click(`tr[data-session="${id}"] a`);
    await page.waitForFunction((n) => Number(document.body.dataset.lastSeq ?? 0) >= n, lastSeq, { polling: 'raf' });
    toSession.push(performance.now() - t0);
    t0 = performance.now();
    await page.click('a.brand');
    await page.waitForFunction((n) => document.querySelectorAll('tr[data-session]').length >= n, SESSIONS, {
      polling: 'raf',
    });
    toList.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, THINK_MS));
  }
  return { toSession, toList };
}

/** Each state change the CLI clients saw, timed to the list tab's first showing of it. */
function listUpdateLatencies(states, reports) {
  const shown = reports.filter((r) => r.kind === 'state').map((r) => r.value);
  const out = [];
  for (const s of states) {
    // `ts` is floored to the millisecond; the page's Date.now() too.
    const hit = shown.find((v) => v.id === s.session && v.state === s.to && v.at >= s.ts - 1);
    if (hit !== undefined) out.push(hit.at - s.ts);
  }
  return out;
}

async function withDashboard(fleet, browser, url) {
  const reports = [];
  const list = await openTab(browser, url, reports);
  const nav = await openTab(browser, url, reports);
  try {
    let finished = false;
    const running = fleet.run().finally(() => (finished = true));
    const [run, moves] = await Promise.all([running, navigate(nav, fleet.sessions, () => finished)]);
    const updates = listUpdateLatencies(run.states, reports);
    const longTasks = reports.filter((r) => r.kind === 'longtask').map((r) => r.value);
    return {
      run,
      moves,
      updates,
      stateChanges: run.states.length,
      longTasks,
      clicks: reports.filter((r) => r.kind === 'click').map((r) => r.value),
    };
  } finally {
    await list.close();
    await nav.close();
  }
}

export default async function webBench() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`);
  const fleet = await startFleet('sylk-web-bench-');
  let browser;
  let conn;
  try {
    conn = await sessionClient(fleet.daemon.socket);
    const { url } = await conn.proto.createClient(conn.proto.DaemonService, conn.channel).startWeb({});
    // As root Chromium refuses to start with its sandbox on.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });
    await fleet.run(); // warm-up without the page: runtimes, snapshots, SDK, JIT
    await withDashboard(fleet, browser, url); // and with it: the server's code, the browser's caches
    const without = [];
    const withPage = [];
    for (let r = 0; r < RUNS; r++) {
      const order = r % 2 === 0 ? ['without', 'with'] : ['with', 'without'];
      for (const kind of order) {
        if (kind === 'without') without.push(await fleet.run());
        else withPage.push(await withDashboard(fleet, browser, url));
      }
    }

    const med = (xs) => median(xs);
    const relay = (runs, k) => med(runs.map((r) => r[k]));
    const runsWith = withPage.map((w) => w.run);
    const updates = withPage.flatMap((w) => w.updates);
    const longTasks = withPage.flatMap((w) => w.longTasks);
    const clicks = withPage.flatMap((w) => w.clicks);
    const toSession = withPage.flatMap((w) => w.moves.toSession);
    const toList = withPage.flatMap((w) => w.moves.toList);
    const metrics = {
      sessions: SESSIONS,
      relay_p50_ms_without: round(relay(without, 'p50'), 2),
      relay_p50_ms_with: round(relay(runsWith, 'p50'), 2),
      relay_p99_ms_without: round(relay(without, 'p99'), 2),
      relay_p99_ms_with: round(relay(runsWith, 'p99'), 2),
      relay_p50_ratio: round(relay(runsWith, 'p50') / relay(without, 'p50'), 2),
      relay_p99_ratio: round(relay(runsWith, 'p99') / relay(without, 'p99'), 2),
      daemon_cpu_pct_without: round(relay(without, 'cpuPct'), 0),
      daemon_cpu_pct_with: round(relay(runsWith, 'cpuPct'), 0),
      nav_session_ms: round(med(toSession), 0),
      nav_session_p90_ms: round(percentile(toSession, 90), 0),
      nav_list_ms: round(med(toList), 0),
      navigations: toSession.length + toList.length,
      list_update_p50_ms: round(percentile(updates, 50), 0),
      list_update_p99_ms: round(percentile(updates, 99), 0),
      list_updates_seen: updates.length,
      state_changes: withPage.reduce((n, w) => n + w.stateChanges, 0),
      long_tasks: longTasks.length,
      long_task_max_ms: round(Math.max(0, ...longTasks), 0),
      click_p99_ms: clicks.length > 0 ? round(percentile(clicks, 99), 0) : 0,
      resyncs: [...without, ...runsWith].reduce((n, r) => n + r.resyncs, 0),
    };
    const targets = {
      nav_session_ms: `<= ${TARGET_NAV_MS}`,
      nav_list_ms: `<= ${TARGET_NAV_MS}`,
      relay_p50_ratio: 'report',
      relay_p99_ratio: 'report',
      list_update_p50_ms: 'report',
      long_tasks: 'report',
    };
    const met = metrics.nav_session_ms <= TARGET_NAV_MS && metrics.nav_list_ms <= TARGET_NAV_MS;
    const summary =
      `${SESSIONS} live sessions (the fleet bench's load), dashboard open in headless Chromium (sessions tab + a tab ` +
      `navigating): list → session with its transcript replayed ${metrics.nav_session_ms} ms (p90 ${metrics.nav_session_p90_ms} ms), ` +
      `session → list ${metrics.nav_list_ms} ms (median of ${metrics.navigations} navigations); a state change shown in ` +
      `the list p50 ${metrics.list_update_p50_ms} ms, p99 ${metrics.list_update_p99_ms} ms after sylkd appended it ` +
      `(${metrics.list_updates_seen} of ${metrics.state_changes} seen); ${metrics.long_tasks} long tasks ` +
      `(max ${metrics.long_task_max_ms} ms), click → next paint p99 ${metrics.click_p99_ms} ms. Relay to the CLI clients ` +
      `without / with the dashboard: p50 ${metrics.relay_p50_ms_without} / ${metrics.relay_p50_ms_with} ms ` +
      `(×${metrics.relay_p50_ratio}), p99 ${metrics.relay_p99_ms_without} / ${metrics.relay_p99_ms_with} ms ` +
      `(×${metrics.relay_p99_ratio}); sylkd CPU ${metrics.daemon_cpu_pct_without}% / ${metrics.daemon_cpu_pct_with}% ` +
      `(medians of ${RUNS} runs each, alternating; ${metrics.resyncs} resyncs) [load avg ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, ${cpus().length} CPUs]`;
    return { summary, metrics, targets, met };
  } finally {
    await browser?.close();
    conn?.close();
    await fleet.close();
  }
}
