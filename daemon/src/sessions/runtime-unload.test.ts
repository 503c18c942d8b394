import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '@sylk/core';
import { EventLogs, type EventLog } from '@sylk/sessions';
import { PermissionManager, Role } from '@sylk/security';
import { ToolExecutor } from '@sylk/tools';
import { RuntimeUnloader, holdReason, sessionsComponent, type UnloadableRuntime } from './runtime-unload.js';

const IDLE_S = 120;
const ID = 's_unload';

let dir: string;
let clock: ManualClock;
let logs: EventLogs;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-unload-'));
  mkdirSync(join(dir, 'project'));
  clock = new ManualClock(1_000_000);
  logs = new EventLogs({
    dataDir: join(dir, 'data'),
    clock,
    idleCloseMs: 0,
    backgroundCheckpoints: false,
    diskReserveBytes: 0,
  });
});

afterEach(async () => {
  await logs.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A loaded runtime as the unloader sees it: a real log, executor and permission manager. */
class TestRuntime implements UnloadableRuntime {
  readonly id = ID;
  quiet = true;
  notesPending = false;
  saveFails = false;
  saves = 0;
  readonly log: EventLog;
  readonly executor: ToolExecutor;
  readonly permissions: PermissionManager;

  constructor(permissions?: PermissionManager) {
    this.log = logs.get(ID);
    this.executor = new ToolExecutor({
      roots: [join(dir, 'project')],
      baseEnv: { PATH: process.env['PATH'] },
      spoolDir: join(dir, 'spool'),
      clock,
    });
    this.permissions =
      permissions ??
      new PermissionManager({
        projectRoot: join(dir, 'project'),
        homeDir: dir,
        role: Role.Worker,
        clock,
        allowlistFile: join(dir, 'state', 'permissions', 'project.yaml'),
      });
  }

  saveConversation(): void {
    if (this.saveFails) throw new Error('no space left on device');
    this.saves++;
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function setup(opts: { idle?: number; approvals?: number; release?: () => Promise<void> } = {}) {
  const loaded = new Map<string, TestRuntime>();
  const released: string[] = [];
  const sweeps = { unloaded: 0 };
  const unloader = new RuntimeUnloader<TestRuntime>({
    clock,
    logger: silentLogger(),
    idleAfterSeconds: () => opts.idle ?? IDLE_S,
    loaded,
    pendingApprovals: () => opts.approvals ?? 0,
    configWarnings: () => ['.sylk/config.yaml: tools.timeout: not a number'],
    release: async (id) => {
      await opts.release?.();
      logs.unload(id);
      released.push(id);
    },
    unloaded: () => sweeps.unloaded++,
  });
  const load = async (permissions?: PermissionManager) => {
    const rt = new TestRuntime(permissions);
    loaded.set(rt.id, rt);
    return rt;
  };
  return { loaded, released, sweeps, unloader, load };
}

describe('holdReason (the idle rule)', () => {
  it('holds a runtime that is busy or attached, has approvals, commands or log readers', async () => {
    const rt = new TestRuntime();
    expect(holdReason(rt, 0)).toBeUndefined();
    rt.quiet = false;
    expect(holdReason(rt, 0)).toBe('busy or attached');
    rt.quiet = true;
    expect(holdReason(rt, 1)).toBe('approvals pending');

    const cwd = join(dir, 'project');
    const run = rt.executor.run('sleep 30', { cwd, sessionId: ID });
    expect(holdReason(rt, 0)).toBe('commands running');
    await rt.executor.cancelAll({ sessionId: ID });
    await run.catch(() => undefined); // cancelled before or after it started
    expect(holdReason(rt, 0)).toBeUndefined();

    const bg = await rt.executor.startBackground('sleep 30', { cwd, sessionId: ID });
    expect(holdReason(rt, 0)).toBe('background processes running');
    await bg.stop();
    await bg.exited;
    expect(holdReason(rt, 0)).toBeUndefined();

    const sub = rt.log.subscribe(1);
    expect(holdReason(rt, 0)).toBe('log followed');
    await sub.return();
    expect(holdReason(rt, 0)).toBeUndefined();

    rt.notesPending = true;
    expect(holdReason(rt, 0)).toBe('notes for the next turn');
  });
});

describe('RuntimeUnloader', () => {
  it('unloads a runtime once it has been quiet for the configured time, and not before', async () => {
    const { loaded, released, sweeps, unloader, load } = setup();
    const rt = await unloader.get(ID, () => load());
    await rt.log.append('user_input', { text: 'hello' });
    expect(unloader.sweep()).toBe(0); // first seen quiet
    clock.advance(IDLE_S * 1000 - 1);
    expect(unloader.sweep()).toBe(0);
    expect(loaded.has(ID)).toBe(true);
    clock.advance(1);
    expect(unloader.sweep()).toBe(1);
    expect(loaded.has(ID)).toBe(false);
    expect(rt.saves).toBe(1);
    await unloader.pending(ID);
    expect(released).toEqual([ID]);
    await new Promise((r) => setImmediate(r));
    expect(sweeps.unloaded).toBe(1); // the memory trim is told
    expect(rt.log.closed).toBe(true);
    expect(unloader.pending(ID)).toBeUndefined();
  });

  it('starts the quiet time again at each use and whenever something holds the runtime', async () => {
    const { loaded, unloader, load } = setup();
    const rt = await unloader.get(ID, () => load());
    unloader.sweep();
    clock.advance(100_000);
    expect(await unloader.get(ID, () => load())).toBe(rt); // a use (send, attach…)
    unloader.sweep();
    clock.advance(100_000);
    expect(unloader.sweep()).toBe(0);
    rt.quiet = false; // a turn
    unloader.sweep();
    rt.quiet = true;
    clock.advance(IDLE_S * 1000);
    expect(unloader.sweep()).toBe(0);
    clock.advance(IDLE_S * 1000);
    expect(unloader.sweep()).toBe(1);
    expect(loaded.size).toBe(0);
    await unloader.stop();
  });

  it('waits for a log used more recently than the quiet time', async () => {
    const { unloader, load } = setup();
    const rt = await unloader.get(ID, () => load());
    unloader.sweep();
    clock.advance(IDLE_S * 1000 - 10);
    rt.log.read(1); // `sylk logs` reading it
    clock.advance(10);
    expect(unloader.sweep()).toBe(0);
    clock.advance(IDLE_S * 1000);
    expect(unloader.sweep()).toBe(1);
    await unloader.stop();
  });

  it('never unloads with 0, nor a runtime whose conversation cannot be saved', async () => {
    const never = setup({ idle: 0 });
    await never.unloader.get(ID, () => never.load());
    never.unloader.sweep();
    clock.advance(365 * 24 * 3600_000);
    expect(never.unloader.sweep()).toBe(0);
    expect(never.loaded.size).toBe(1);

    const full = setup();
    const rt = await full.unloader.get(ID, () => full.load());
    rt.saveFails = true;
    full.unloader.sweep();
    clock.advance(IDLE_S * 1000);
    expect(full.unloader.sweep()).toBe(0);
    expect(full.loaded.get(ID)).toBe(rt);
    rt.saveFails = false;
    full.unloader.sweep();
    clock.advance(IDLE_S * 1000);
    expect(full.unloader.sweep()).toBe(1);
    await full.unloader.stop();
  });

  it('keeps the session grants and the config problems told for the next load', async () => {
    const { unloader, load } = setup();
    const rt = await unloader.get(ID, () => load());
    rt.permissions.grantForSession({ kind: 'command', pattern: 'git push' });
    unloader.sweep();
    clock.advance(IDLE_S * 1000);
    unloader.sweep();
    await unloader.pending(ID);
    const kept = unloader.keptFor(ID);
    expect(kept?.permissions).toBe(rt.permissions);
    expect(kept?.configWarnings).toEqual(['.sylk/config.yaml: tools.timeout: not a number']);
    const again = await unloader.get(ID, () => load(unloader.keptFor(ID)?.permissions));
    expect(again).not.toBe(rt);
    expect(again.permissions.check({ kind: 'command', command: 'git push origin main' })).toMatchObject({
      verdict: 'allow',
      source: 'session',
    });
  });

  it('keeps no permission manager for a session granted nothing (hundreds of unloaded sessions)', async () => {
    const { unloader, load } = setup();
    await unloader.get(ID, () => load());
    unloader.sweep();
    clock.advance(IDLE_S * 1000);
    unloader.sweep();
    await unloader.pending(ID);
    expect(unloader.keptFor(ID)?.permissions).toBeUndefined();
    expect(unloader.keptFor(ID)?.configWarnings).toEqual(['.sylk/config.yaml: tools.timeout: not a number']);
  });

  it('a request during an unload waits for it, then gets a fresh runtime whose log goes on with the next seq', async () => {
    const gate = deferred();
    const { loaded, unloader, load } = setup({ release: () => gate.promise });
    const old = await unloader.get(ID, () => load());
    await old.log.append('user_input', { text: 'first' });
    await old.log.append('assistant_message', { text: 'first reply' });
    unloader.sweep();
    clock.advance(IDLE_S * 1000);
    // An event posted by the daemon as the unload starts (an approval resolution, a notice).
    old.log.post('notice', { message: 'late notice' }, () => undefined);
    expect(unloader.sweep()).toBe(0); // the pending notice is use: not yet
    await new Promise((r) => setImmediate(r));
    clock.advance(IDLE_S * 1000);
    expect(unloader.sweep()).toBe(1);

    let loads = 0;
    const send = unloader.get(ID, () => {
      loads++;
      return load();
    });
    const second = unloader.get(ID, () => {
      loads++;
      return load();
    });
    await new Promise((r) => setImmediate(r));
    expect(loads).toBe(0); // nothing loads while the old runtime is being closed
    expect(loaded.size).toBe(0);
    gate.resolve();
    const fresh = await send;
    expect(await second).toBe(fresh);
    expect(loads).toBe(1);
    expect(fresh).not.toBe(old);
    expect(old.log.closed).toBe(true);
    expect(fresh.log.closed).toBe(false);
    const ev = await fresh.log.append('user_input', { text: 'second' });
    expect(ev.seq).toBe(4);
    const events = fresh.log.read(1).map((e) => [e.seq, e.kind]);
    expect(events).toEqual([
      [1, 'user_input'],
      [2, 'assistant_message'],
      [3, 'notice'],
      [4, 'user_input'],
    ]);
  });

  it('says how many sessions are loaded', () => {
    expect(sessionsComponent(2, 40, 120)).toEqual({
      name: 'sessions',
      state: 'ok',
      detail: 'loaded 2 of 40; idle ones unload after 120 s',
    });
    expect(sessionsComponent(3, 3, 0).detail).toBe('loaded 3 of 3; idle ones stay loaded');
  });
});
