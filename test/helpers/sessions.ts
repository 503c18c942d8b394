/**
 * Session end-to-end harness: a real sylkd on a throwaway SYLK_HOME whose Anthropic provider is
 * an in-process sylk-emulator (real HTTP + SSE), temp projects with real files, and helpers to
 * drive the real `sylk` CLI and wait on what it reports (never on the clock).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startEmulator, type Emulator, type Scenario } from '@sylk/emulator';
import {
  CLI,
  ROOT,
  exited,
  makeHome,
  parseJson,
  runCli,
  startForeground,
  waitFor,
  type RunResult,
  type SylkHome,
} from './sylk.js';

export const KEY = 'test-key';
export const FIXTURES = join(ROOT, 'test', 'fixtures');

export interface SessionJson {
  id: string;
  name: string;
  projectRoot: string;
  state: string;
  lastSeq: number;
  interrupted: boolean;
  pendingApprovals: number;
  attachedClients: number;
}

export interface EventJson {
  seq: number;
  ts: number;
  kind: string;
  data: Record<string, unknown>;
}

export interface ApprovalJson {
  id: string;
  sessionId: string;
  kind: string;
  summary: string;
  detail: string;
}

/** A `sylk` process left running (e.g. an attached client); its output accumulates. */
interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<number | null>;
}

export interface SessionHarness {
  h: SylkHome;
  emu: Emulator;
  /** The test's own foreground sylkd, when asked for (otherwise the CLI autostarts one). */
  daemon: ChildProcess | undefined;
  /** `sylk …` with the harness env; fails the test on a timeout. */
  cli(args: string[], opts?: { cwd?: string; timeoutMs?: number }): Promise<RunResult>;
  /** `sylk … --json` that must succeed; the parsed stdout. */
  json<T>(args: string[], opts?: { cwd?: string }): Promise<T>;
  spawnCli(args: string[], opts?: { cwd?: string }): CliProcess;
  /** A project dir under the harness home with these files (and `.sylk/`, so it is the root). */
  project(name: string, files?: Record<string, string>): string;
  /** Copy of a fixture project (test/fixtures/projects/<name>). */
  fixtureProject(fixture: string, name?: string): string;
  sessions(): Promise<SessionJson[]>;
  session(idOrName: string): Promise<SessionJson>;
  approvals(session?: string): Promise<ApprovalJson[]>;
  /** The whole log via `sylk logs --json`. */
  events(session: string): Promise<EventJson[]>;
  /** Poll `sylk ls --json` until the session is in one of these states. */
  waitState(session: string, states: string[], timeoutMs?: number): Promise<SessionJson>;
  waitEvent(session: string, pred: (e: EventJson) => boolean, what: string, timeoutMs?: number): Promise<EventJson>;
  waitApproval(session: string, timeoutMs?: number): Promise<ApprovalJson>;
  cleanup(): Promise<void>;
}

/**
 * A scenario answering each question (the last user message) with its answer, in steps named as
 * given (the emulator's log reports them as `stepName`); anything else gets `otherwise`, if set.
 */
export function answeringScenario(
  name: string,
  answers: ReadonlyArray<readonly [step: string, question: string, answer: string]>,
  otherwise?: string,
): Scenario {
  const steps: Scenario['steps'] = answers.map(([step, question, answer]) => ({
    name: step,
    match: { lastUser: question },
    reply: { text: answer },
  }));
  if (otherwise !== undefined) steps.push({ name: 'unexpected', reply: { text: otherwise } });
  return { name, apiKey: KEY, steps };
}

export function scenarioFile(name: string): string {
  return join(FIXTURES, 'scenarios', `${name}.yaml`);
}

/** Point a home's Anthropic provider at the emulator (what a user does in config.yaml). */
export function writeProviderConfig(home: string, url: string): void {
  mkdirSync(join(home, 'config'), { recursive: true, mode: 0o700 });
  writeFileSync(
    join(home, 'config', 'config.yaml'),
    [
      'llm:',
      '  default_provider: anthropic',
      '  providers:',
      '    anthropic:',
      `      base_url: ${url}`,
      '      default_model: claude-sonnet-5-5',
      '',
    ].join('\n'),
  );
}

/** The events of one kind, in log order. */
export function eventsOfKind(events: EventJson[], kind: string): EventJson[] {
  return events.filter((e) => e.kind === kind);
}

export function parseNdjson(text: string): EventJson[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => parseJson<EventJson>(l));
}

function spawnCliWith(env: NodeJS.ProcessEnv, args: string[], cwd: string): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

export async function sessionHarness(
  scenario: { path: string } | { scenario: Scenario },
  opts: { foreground?: boolean } = {},
): Promise<SessionHarness> {
  const emu = await startEmulator(
    'path' in scenario ? { scenarioPath: scenario.path } : { scenario: scenario.scenario },
  );
  const h = makeHome({ ANTHROPIC_API_KEY: KEY });
  writeProviderConfig(h.home, emu.url);
  const children: ChildProcess[] = [];
  // A child of the test process is reaped when killed; an autostarted daemon is reparented to init.
  const daemon = opts.foreground ? await startForeground(h) : undefined;
  let closed = false;
  // A timed-out test body keeps polling after cleanup; a CLI call then would autostart a stray daemon.
  const cli = async (args: string[], opts: { cwd?: string; timeoutMs?: number } = {}) => {
    if (closed) throw new Error(`session harness already cleaned up (sylk ${args.join(' ')})`);
    return runCli(args, { env: h.env, ...opts });
  };
  const json = async <T>(args: string[], opts: { cwd?: string } = {}): Promise<T> => {
    const r = await cli([...args, '--json'], opts);
    if (r.code !== 0) throw new Error(`sylk ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return parseJson<T>(r.stdout);
  };
  const sessions = async () => (await json<{ sessions: SessionJson[] }>(['ls', '--all'])).sessions;
  const session = async (idOrName: string) => {
    const s = (await sessions()).find((x) => x.id === idOrName || x.name === idOrName);
    if (!s) throw new Error(`no session ${idOrName}`);
    return s;
  };
  const events = async (s: string) => {
    const r = await cli(['logs', s, '--json']);
    if (r.code !== 0) throw new Error(`sylk logs ${s} exited ${r.code}: ${r.stderr}`);
    return parseNdjson(r.stdout);
  };
  const approvals = async (s?: string) =>
    (await json<{ approvals: ApprovalJson[] }>(['approvals', ...(s ? [s] : [])])).approvals;
  const harness: SessionHarness = {
    h,
    emu,
    daemon,
    cli,
    json,
    spawnCli(args, opts = {}) {
      if (closed) throw new Error('session harness already cleaned up');
      const p = spawnCliWith(h.env, args, opts.cwd ?? h.home);
      children.push(p.child);
      return p;
    },
    project(name, files = {}) {
      const dir = join(h.home, 'projects', name);
      mkdirSync(join(dir, '.sylk'), { recursive: true });
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      return dir;
    },
    fixtureProject(fixture, name = fixture) {
      const dir = join(h.home, 'projects', name);
      cpSync(join(FIXTURES, 'projects', fixture), dir, { recursive: true });
      mkdirSync(join(dir, '.sylk'), { recursive: true });
      return dir;
    },
    sessions,
    session,
    approvals,
    events,
    async waitState(s, states, timeoutMs = 30_000) {
      let last: SessionJson | undefined;
      await waitFor(
        async () => {
          last = await session(s);
          return states.includes(last.state);
        },
        timeoutMs,
        `session ${s} to be ${states.join('|')} (last: ${last?.state})`,
      );
      return last as SessionJson;
    },
    async waitEvent(s, pred, what, timeoutMs = 30_000) {
      let hit: EventJson | undefined;
      await waitFor(
        async () => {
          hit = (await events(s)).find(pred);
          return hit !== undefined;
        },
        timeoutMs,
        `${what} in the log of ${s}`,
      );
      return hit as EventJson;
    },
    async waitApproval(s, timeoutMs = 30_000) {
      let found: ApprovalJson | undefined;
      await waitFor(
        async () => {
          found = (await approvals(s))[0];
          return found !== undefined;
        },
        timeoutMs,
        `a pending approval of ${s}`,
      );
      return found as ApprovalJson;
    },
    async cleanup() {
      closed = true;
      // Attached clients first (and wait for them): they would re-attach, autostarting a daemon.
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await Promise.all(children.map((c) => exited(c)));
      await h.cleanup();
      await emu.close();
    },
  };
  return harness;
}

/** `sylk run -d` in a project; the created session. */
export async function startDetached(
  s: SessionHarness,
  project: string,
  prompt: string,
  extra: string[] = [],
): Promise<SessionJson> {
  return s.json<SessionJson>(['run', '-d', '-C', project, ...extra, prompt]);
}

/**
 * A session stopped at its approval request: `run the tests` in a copy of the failing-test fixture
 * (approve-run scenario) on the harness's own foreground daemon, which a test can kill or restart.
 * The harness goes into `harnesses` (the file's cleanup list) before anything can fail.
 */
export async function sessionAwaitingApproval(
  harnesses: SessionHarness[],
): Promise<{ s: SessionHarness; created: SessionJson; approval: ApprovalJson }> {
  const s = await sessionHarness({ path: scenarioFile('approve-run') }, { foreground: true });
  harnesses.push(s);
  const project = s.fixtureProject('failing-test');
  const created = await startDetached(s, project, 'run the tests');
  const approval = await s.waitApproval(created.id);
  return { s, created, approval };
}
