// The web dashboard (`sylk web`) of a real sylkd whose model is the emulator: its guard over
// plain HTTP (token, Host, Origin, no CORS), its lifecycle, and the pages in a real headless
// Chromium (Debian's /usr/bin/chromium driven by playwright-core): the sessions list, a session's
// transcript replayed then live, approvals answered in the page and in the CLI, hostile text shown
// as text. Screenshots of each page go to test-artifacts/web-dashboard/.
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { cleanedAfterEach } from '../helpers/cleanup.js';
import { KEY, scenarioFile, sessionHarness, startDetached, type SessionHarness } from '../helpers/sessions.js';
import { ROOT, parseJson, waitFor } from '../helpers/sylk.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts', 'web-dashboard');
const HOSTILE = '<img src=x onerror=alert(1)>';

const started = cleanedAfterEach();

async function harness(): Promise<SessionHarness> {
  const s = await sessionHarness({
    scenario: {
      name: 'e2e-web',
      apiKey: KEY,
      defaults: { chunkSize: 12, usage: { input: 1200, output: 300 } },
      steps: [
        {
          name: 'run',
          match: { lastUser: '/run the tests/' },
          reply: {
            text: `Here is ${HOSTILE} and now I run the tests.`,
            toolCalls: [{ id: 'call_run', name: 'run_command', arguments: { command: 'node --test' } }],
          },
        },
        { name: 'denied', match: { lastTool: '/denied/i' }, reply: { text: 'Understood, I will not run them.' } },
        { name: 'ran', match: { lastTool: '/exit code \\d+\\]/' }, reply: { text: 'The tests ran.' } },
        { name: 'live', match: { lastUser: '/anything new/' }, reply: { text: 'LIVE-REPLY-42' } },
        { name: 'unexpected', reply: { text: 'UNEXPECTED: no step matched' } },
      ],
    },
  });
  started.harnesses.push(s);
  return s;
}

interface WebJson {
  url: string;
  port: number;
  alreadyRunning: boolean;
}

async function startWeb(s: SessionHarness): Promise<WebJson & { token: string }> {
  const web = await s.json<WebJson>(['web']);
  const token = new URL(web.url).searchParams.get('token') ?? '';
  expect(web.url).toBe(`http://127.0.0.1:${web.port}/?token=${token}`);
  expect(token.length).toBeGreaterThanOrEqual(32);
  return { ...web, token };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly these headers (fetch would not let a test set Host). */
function http(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const refused = (port: number) =>
  http(port, '/').then(
    () => false,
    (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED',
  );

describe('sylk web: the guard over HTTP', () => {
  it('wants the token everywhere, refuses other Hosts and Origins, never answers with CORS headers', async () => {
    const s = await harness();
    const { port, token } = await startWeb(s);
    const host = `127.0.0.1:${port}`;
    const cookie = `sylk_token_${port}=${token}`;
    const answers: Answer[] = [];
    const ask = async (path: string, opts: Parameters<typeof http>[2] = {}) => {
      const a = await http(port, path, opts);
      answers.push(a);
      return a;
    };

    // No token, a wrong one, another port's cookie: 401 on every route.
    for (const path of ['/', '/sessions/x', '/assets/app.js', '/api/sessions', '/api/sessions/stream', '/metrics'])
      expect((await ask(path)).status, path).toBe(401);
    expect((await ask('/api/sessions', { headers: { cookie: `sylk_token_${port}=${token}x` } })).status).toBe(401);
    expect((await ask('/api/sessions', { headers: { cookie: `sylk_token_1=${token}` } })).status).toBe(401);
    expect((await ask('/api/sessions', { headers: { authorization: 'Bearer guess' } })).status).toBe(401);
    expect((await ask('/?token=guess')).status).toBe(401);

    // The printed address sets an HttpOnly, SameSite=Strict cookie and sends the browser on without the token.
    const first = await ask(`/?token=${encodeURIComponent(token)}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    expect(String(first.headers['set-cookie'])).toBe(`${cookie}; HttpOnly; SameSite=Strict; Path=/`);
    const listed = await ask('/api/sessions', { headers: { cookie } });
    expect(listed.status).toBe(200);
    expect(parseJson(listed.body)).toEqual({ sessions: [] });
    expect((await ask('/', { headers: { cookie, host: `localhost:${port}` } })).status).toBe(200);

    // DNS rebinding: the right token under another name is refused.
    for (const other of [
      `attacker.example:${port}`,
      `127.0.0.1:${port + 1}`,
      '127.0.0.1',
      `localhost.attacker.example:${port}`,
    ])
      expect((await ask('/api/sessions', { headers: { cookie, host: other } })).status, other).toBe(403);

    // Another origin cannot decide anything, even carrying the cookie; the same origin reaches the route.
    const decide = (headers: Record<string, string>) =>
      ask('/api/approvals/no-such-approval', {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ decision: 'allow_once' }),
      });
    expect((await decide({ origin: 'http://attacker.example' })).status).toBe(403);
    expect((await decide({ origin: `http://localhost:${port}` })).status).toBe(403);
    expect((await decide({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    const same = await decide({ origin: `http://${host}` });
    expect(same.status).toBe(404);
    expect(parseJson(same.body)).toMatchObject({ code: 'approvals.not_found' });
    // A form post (what a page elsewhere could send without a preflight) is not a decision.
    const form = await ask('/api/approvals/no-such-approval', {
      method: 'POST',
      headers: { cookie, origin: `http://${host}`, 'content-type': 'text/plain' },
      body: 'decision=allow_once',
    });
    expect(form.status).toBe(415);
    const preflight = await ask('/api/sessions', {
      method: 'OPTIONS',
      headers: { origin: 'http://attacker.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);

    // /metrics: the Prometheus text with a bearer token.
    const metrics = await ask('/metrics', { headers: { authorization: `Bearer ${token}` } });
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(metrics.body).toMatch(/^# (HELP|TYPE) /m);

    for (const a of answers) {
      expect(Object.keys(a.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      expect(a.headers['content-security-policy']).toContain("default-src 'self'");
    }
    // The token never reaches the daemon's log.
    const log = await s.cli(['daemon', 'logs', '-n', '1000']);
    expect(log.stdout).toContain('web dashboard listening');
    expect(log.stdout).not.toContain(token);
  });

  it('web.enabled starts it with sylkd; `sylk web` gives the running address, --stop ends it, a new start a new token, and it stops with sylkd', async () => {
    const s = await harness();
    appendFileSync(join(s.h.home, 'config', 'config.yaml'), 'web:\n  enabled: true\n');
    const first = await startWeb(s);
    expect(first.alreadyRunning).toBe(true);
    const again = await startWeb(s);
    expect(again).toMatchObject({ url: first.url, alreadyRunning: true });

    expect(await s.json(['web', '--stop'])).toEqual({ stopped: true });
    expect(await refused(first.port)).toBe(true);
    expect(await s.json(['web', '--stop'])).toEqual({ stopped: false });

    const second = await startWeb(s);
    expect(second.alreadyRunning).toBe(false);
    expect(second.token).not.toBe(first.token);
    const old = await http(second.port, '/api/sessions', {
      headers: { cookie: `sylk_token_${second.port}=${first.token}` },
    });
    expect(old.status).toBe(401);

    expect((await s.cli(['daemon', 'stop'])).code).toBe(0);
    expect(await refused(second.port)).toBe(true);
  });
});

const browserMissing = !existsSync(CHROMIUM) && process.env.CI !== 'true';
if (browserMissing)
  console.warn(`web-dashboard: the browser tests are skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

async function openBrowser(): Promise<{ browser: Browser; page: Page; dialogs: string[] }> {
  // As root Chromium refuses to start with its sandbox on.
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args });
  const page = await browser.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return { browser, page, dialogs };
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe.skipIf(browserMissing)('sylk web in Chromium', () => {
  it('lists sessions, replays then streams a transcript, answers approvals in the page and sees the CLI’s', async () => {
    const s = await harness();
    const project = s.fixtureProject('failing-test');
    const one = await startDetached(s, project, `run the tests ${HOSTILE}`);
    const approval = await s.waitApproval(one.id);
    const web = await startWeb(s);
    const { browser, page, dialogs } = await openBrowser();
    try {
      // The sessions page, reached through the printed address, which it leaves without the token.
      await page.goto(web.url);
      expect(page.url()).toBe(`http://127.0.0.1:${web.port}/`);
      const row = page.locator(`tr[data-session="${one.id}"]`);
      await expect.poll(() => row.textContent()).toContain('waiting_approval');
      expect(await row.locator('td').nth(5).textContent()).toBe('1');
      expect(await row.textContent()).toContain(project);
      // The daemon panel: what `sylk top` shows.
      await expect.poll(() => page.locator('#top-summary').textContent()).toContain('1 loaded of 1');
      expect(await page.locator('#top-pools').textContent()).toContain('subprocesses');
      expect(await page.locator('#top-providers').textContent()).toContain('anthropic');
      await screenshot(page, 'sessions');

      // A session's page: the transcript so far, the hostile text as text, its pending approval.
      await row.locator('a').click();
      await page.waitForURL(`**/sessions/${one.id}`);
      const transcript = page.locator('#transcript');
      await expect.poll(() => transcript.textContent()).toContain(`Here is ${HOSTILE} and now I run the tests.`);
      expect(await transcript.textContent()).toContain(`› run the tests ${HOSTILE}`);
      expect(await page.locator('img').count()).toBe(0);
      const card = page.locator(`[data-approval="${approval.id}"]`);
      await card.waitFor();
      expect(await card.textContent()).toContain('node --test');
      await screenshot(page, 'session-waiting');

      // Approved in the page: the CLI sees no pending approval, the session goes on, the page streams it.
      await card.locator('button[data-decision="allow_once"]').click();
      await waitFor(async () => (await s.approvals()).length === 0, 30_000, 'the approval gone from `sylk approvals`');
      await s.waitState(one.id, ['idle']);
      await expect.poll(() => transcript.textContent(), { timeout: 30_000 }).toContain('The tests ran.');
      await card.waitFor({ state: 'detached' });
      const events = await s.events(one.id);
      expect(events.find((e) => e.kind === 'approval_resolved')?.data).toMatchObject({
        decision: 'allow_once',
        by: 'sylk web',
      });
      // A live event: input sent with the CLI appears in the open page.
      expect((await s.cli(['send', one.id, 'anything new?'])).code).toBe(0);
      await expect.poll(() => transcript.textContent(), { timeout: 30_000 }).toContain('LIVE-REPLY-42');
      await expect.poll(() => page.locator('#chart-cost svg path.line').count()).toBe(1);
      await screenshot(page, 'session-live');

      // A page opened late sees the pending approval; answered in the CLI, it leaves the page.
      const two = await startDetached(s, project, 'run the tests once more');
      const pending = await s.waitApproval(two.id);
      await page.goto(`http://127.0.0.1:${web.port}/sessions/${two.id}`);
      const late = page.locator(`[data-approval="${pending.id}"]`);
      await late.waitFor();
      expect((await s.cli(['deny', pending.id, '-m', 'not from the page'])).code).toBe(0);
      await late.waitFor({ state: 'detached' });
      await expect
        .poll(() => transcript.textContent(), { timeout: 30_000 })
        .toContain('Understood, I will not run them.');
      expect(await transcript.textContent()).toContain('deny with message: not from the page');
      expect(dialogs).toEqual([]);
      await screenshot(page, 'session-denied-in-cli');
    } finally {
      await browser.close();
    }
  });

  it('shows a session’s delegated tasks from its pipeline events, on its page and in the list', async () => {
    const s = await sessionHarness({ path: scenarioFile('pipelines') });
    started.harnesses.push(s);
    const project = s.project('one-edit', { 'hello.txt': 'Hello\n' });
    const session = await startDetached(s, project, 'delegate one edit');
    const web = await startWeb(s);
    const { browser, page, dialogs } = await openBrowser();
    try {
      await page.goto(web.url);
      await page.goto(`http://127.0.0.1:${web.port}/sessions/${session.id}`);
      const task = page.locator('tr[data-task="t1"]');
      await expect.poll(() => task.textContent(), { timeout: 30_000 }).toContain('done');
      const text = await task.textContent();
      for (const part of ['engineer', 'TASK-EDIT: make hello.txt greet politely', 'merged: hello.txt'])
        expect(text).toContain(part);
      await screenshot(page, 'session-tasks');
      await s.waitState(session.id, ['idle']);
      await page.goto(`http://127.0.0.1:${web.port}/`);
      await expect.poll(() => page.locator(`tr[data-session="${session.id}"]`).textContent()).toContain('1 finished');
      expect(dialogs).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
