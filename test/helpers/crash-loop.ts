/**
 * The crash loop (issue 14): several sessions mid-turn against the emulator — one streaming a slow
 * reply, one waiting for approval, one running a long command with a background child — and sylkd
 * killed with SIGKILL at a random moment, once per cycle. After each restart it checks that every
 * event an attached client had received is still in the log, that nothing of the previous run is
 * still running, that no session is stuck (each settles, after resume and decisions, within a
 * bound), and that no command ran more often than the agent asked for it (marker files).
 *
 * The randomness is seeded (mulberry32): a failure names the seed and the cycle, and
 * `npm run chaos -- --cycles N --seed S` (or SYLK_CRASH_SEED) replays the same choices. Used by
 * test/e2e/crash-loop.test.ts (50 cycles) and scripts/chaos.mjs (as many as asked).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectHash } from '@sylk/config';
import {
  ApprovalService,
  Decision,
  SessionService,
  SessionState,
  connect,
  createClient,
  unixTarget,
  versionStamp,
  type Session,
} from '@sylk/proto';
import { daemonPidsOf, exited, startForeground, waitFor } from './sylk.js';
import { parseNdjson, scenarioFile, sessionHarness, type EventJson } from './sessions.js';

export interface CrashLoopOptions {
  cycles: number;
  seed: number;
  /** The kill lands this many ms (at most) after the cycle's input was sent. */
  maxKillDelayMs?: number;
  /** How long every session may take to settle after a restart. */
  settleBoundMs?: number;
  /** Progress lines (one per cycle). */
  log?: (line: string) => void;
}

export interface CrashLoopReport {
  cycles: number;
  seed: number;
  ms: number;
  /** Per cycle: ms from the kill to every session settled. */
  recoveryMs: number[];
  jobRuns: number;
  checkRuns: number;
  /** Per role, the cycles in which the kill interrupted its turn (the rest had ended or not begun). */
  interrupted: Record<string, number>;
  /** Cycles in which a command (the job or its child) was running at the kill. */
  killedDuringCommand: number;
}

/** The sessions of a cycle: what each is asked, in its own project. */
const ROLES = [
  { role: 'stream', prompt: 'tell a long story' },
  { role: 'approval', prompt: 'run the checks' },
  { role: 'job', prompt: 'start the long job' },
] as const;

/** Deterministic PRNG: the same seed gives the same kill moments and decisions. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Proc {
  pid: number;
  startTime: string;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks); undefined when gone or a zombie. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** Live processes whose working directory is one of these projects (commands and their children). */
export function processesIn(dirs: readonly string[]): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!dirs.includes(readlinkSync(`/proc/${entry}/cwd`))) continue;
      const startTime = startTimeOf(Number(entry));
      if (startTime !== undefined) found.push({ pid: Number(entry), startTime });
    } catch {
      // gone, or not ours to inspect
    }
  }
  return found;
}

/** Still the same process: alive with the start time it had. */
export const same = (p: Proc) => startTimeOf(p.pid) === p.startTime;

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

function fail(opts: CrashLoopOptions, cycle: number, message: string): never {
  throw new Error(
    `crash loop failed at cycle ${cycle} of ${opts.cycles} (seed ${opts.seed}; replay: npm run chaos -- --cycles ${cycle} --seed ${opts.seed}): ${message}`,
  );
}

/**
 * The loop's own calls go straight over gRPC (a `sylk` process per call would cost more CPU than the
 * rest of a cycle); the attached clients whose events are checked are the real CLI.
 */
function rpcTo(socket: string) {
  const channel = connect(unixTarget(socket), { interceptors: [versionStamp('crash-loop', () => undefined)] });
  const sessions = createClient(SessionService, channel);
  const approvals = createClient(ApprovalService, channel);
  const t = { timeoutMs: 15_000 };
  return {
    close: () => channel.close(),
    create: async (projectRoot: string, prompt: string) =>
      (await sessions.createSession({ projectRoot, name: '', provider: '', model: '', prompt, clientEnv: {} }, t))
        .session as Session,
    send: (session: string, text: string) => sessions.sendInput({ session, text }, t),
    resume: (session: string) => sessions.resumeSession({ session }, t),
    list: async () => (await sessions.listSessions({ all: true, projectRoot: '' }, t)).sessions,
    approvals: async (session: string) => (await approvals.listApprovals({ session }, t)).approvals,
    decide: (approvalId: string, allow: boolean) =>
      approvals.decideApproval({ approvalId, decision: allow ? Decision.ALLOW_ONCE : Decision.DENY, message: '' }, t),
    /** The whole log, as `sylk logs --json` prints it. */
    async events(session: string): Promise<EventJson[]> {
      const out: EventJson[] = [];
      for await (const { event } of sessions.readEvents({ session, fromSeq: 1n, tail: 0, follow: false }, t)) {
        if (event)
          out.push({
            seq: Number(event.seq),
            ts: Number(event.tsUnixMs),
            kind: event.kind,
            data: JSON.parse(event.dataJson || '{}') as Record<string, unknown>,
          });
      }
      return out;
    },
  };
}
type Rpc = ReturnType<typeof rpcTo>;

/** The events of the complete NDJSON lines a client printed so far. */
const completeLines = (text: string) => parseNdjson(text.slice(0, text.lastIndexOf('\n') + 1));

function checkReceived(
  opts: CrashLoopOptions,
  cycle: number,
  role: string,
  log: EventJson[],
  received: EventJson[],
): void {
  for (const e of received) {
    if (JSON.stringify(log[e.seq - 1]) !== JSON.stringify(e))
      fail(
        opts,
        cycle,
        `${role}: event ${e.seq} a client received is not in the log as received: ${JSON.stringify(e)} vs ${JSON.stringify(log[e.seq - 1])}`,
      );
  }
}

const SETTLED = (s: Session) => s.state === SessionState.IDLE && !s.interrupted && s.pendingApprovals === 0;

/** Runs the loop on a fresh home; throws (naming seed and cycle) at the first broken promise. */
export async function runCrashLoop(opts: CrashLoopOptions): Promise<CrashLoopReport> {
  const random = mulberry32(opts.seed);
  const maxKillDelayMs = opts.maxKillDelayMs ?? 1_500;
  const settleBoundMs = opts.settleBoundMs ?? 30_000;
  const started = Date.now();
  const s = await sessionHarness({ path: scenarioFile('crash-loop') });
  const projects: string[] = [];
  let daemon: ChildProcess | undefined;
  let closeRpc = () => {};
  try {
    // Unsandboxed: the commands' process groups outlive a killed daemon, which is what recovery must clean up.
    writeFileSync(
      join(s.h.home, 'config', 'config.yaml'),
      `${readFileSync(join(s.h.home, 'config', 'config.yaml'), 'utf8')}security:\n  sandbox:\n    enabled: false\n`,
    );
    mkdirSync(join(s.h.home, 'state', 'permissions'), { recursive: true, mode: 0o700 });
    const dirs = ROLES.map(({ role }) => {
      const dir = s.fixtureProject('crash-loop', role);
      projects.push(dir);
      return dir;
    });
    // Only the job is allowlisted; `node check.js` always asks.
    writeFileSync(
      join(s.h.home, 'state', 'permissions', `${projectHash(dirs[2] as string)}.yaml`),
      'version: 1\ncommands:\n  - pattern: node job.js\n',
    );

    daemon = await startForeground(s.h);
    let rpc: Rpc = rpcTo(s.h.socket);
    closeRpc = () => rpc.close();
    const ids: string[] = [];
    /** Per session, the last seq of the log at the end of the previous cycle (clients attach after it). */
    const seen: number[] = ROLES.map(() => 0);
    let approved = 0;
    const recoveryMs: number[] = [];
    const interrupted: Record<string, number> = Object.fromEntries(ROLES.map(({ role }) => [role, 0]));
    let killedDuringCommand = 0;
    for (let cycle = 1; cycle <= opts.cycles; cycle++) {
      const marks: Array<[string, number]> = [['start', Date.now()]];
      const mark = (what: string) => marks.push([what, Date.now()]);
      // Input: new sessions in the first cycle, the next message to the same sessions afterwards.
      if (cycle === 1) {
        const created = await Promise.all(ROLES.map(({ prompt }, i) => rpc.create(dirs[i] as string, prompt)));
        ids.push(...created.map((c) => c.id));
      } else {
        await Promise.all(ROLES.map(({ prompt }, i) => rpc.send(ids[i] as string, prompt))).catch((e: Error) =>
          fail(opts, cycle, `send: ${e.message}`),
        );
      }
      // A client following each session (without a terminal it follows until the session is idle);
      // it rides through the crash by re-attaching, and never starts a daemon itself.
      const clients = ids.map((id, i) =>
        s.spawnCli(['--no-autostart', 'attach', id, '--json', '--from', String((seen[i] as number) + 1)]),
      );
      // A random moment: before the reply, mid-stream, waiting for approval, while the job runs, or after.
      await new Promise((r) => setTimeout(r, Math.floor(random() * maxKillDelayMs)));
      mark('input');
      const running = processesIn(projects);
      if (running.length > 0) killedDuringCommand++;
      const killedAt = Date.now();
      daemon.kill('SIGKILL');
      await exited(daemon);
      daemon = undefined;
      const received = clients.map((c) => completeLines(c.stdout()));

      mark('wait+kill');
      rpc.close();
      daemon = await startForeground(s.h);
      rpc = rpcTo(s.h.socket);
      mark('restart');
      const next = daemon;
      // Nothing of the previous run survives the restart (killed if it had not ended).
      await waitFor(() => !running.some(same), 10_000, `cycle ${cycle}: the previous run's processes to be gone`).catch(
        (e: Error) => fail(opts, cycle, e.message),
      );
      const pids = daemonPidsOf(s.h.home);
      if (pids.length !== 1 || pids[0] !== next.pid)
        fail(opts, cycle, `daemons running: ${pids.join(', ')} (expected only ${next.pid})`);

      // Every event a client had received is in the log, unchanged, and the log has no gaps.
      const logs = await Promise.all(ids.map((id) => rpc.events(id)));
      logs.forEach((log, i) => {
        const gap = log.findIndex((e, n) => e.seq !== n + 1);
        if (gap >= 0) fail(opts, cycle, `${ROLES[i]?.role}: log seq ${log[gap]?.seq} at position ${gap + 1}`);
        checkReceived(opts, cycle, ROLES[i]?.role ?? '', log, received[i] as EventJson[]);
        const role = ROLES[i]?.role ?? '';
        if (log.slice(seen[i]).some((e) => e.kind === 'turn_interrupted'))
          interrupted[role] = (interrupted[role] ?? 0) + 1;
      });

      mark('checks');
      await settle(rpc, ids, opts, cycle, settleBoundMs, random, () => approved++);
      recoveryMs.push(Date.now() - killedAt);
      mark('settle');

      // The clients saw the sessions go idle and left (exit 0); all they printed is in the log.
      const codes = await Promise.race([
        Promise.all(clients.map((c) => c.exit)),
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000)),
      ]);
      if (codes === 'timeout')
        fail(
          opts,
          cycle,
          `attached clients still running 10 s after every session was idle: ${clients.map((c) => c.stderr()).join(' | ')}`,
        );
      codes.forEach(
        (code, i) =>
          code === 0 || fail(opts, cycle, `the ${ROLES[i]?.role} client exited ${code}: ${clients[i]?.stderr()}`),
      );
      const finalLogs = await Promise.all(ids.map((id) => rpc.events(id)));
      finalLogs.forEach((log, i) => {
        checkReceived(opts, cycle, ROLES[i]?.role ?? '', log, completeLines(clients[i]?.stdout() ?? ''));
        seen[i] = log.length;
      });

      // Nothing runs once every session is idle: the job never ends by itself, so only recovery stopped it.
      await waitFor(() => processesIn(projects).length === 0, 5_000, `cycle ${cycle}: the commands to end`).catch(
        (e: Error) => fail(opts, cycle, e.message),
      );
      mark('end');
      // No command ran more often than the agent asked: every check ran once per approval given, and
      // the job at most once per time the model called it (the emulator's log of replies).
      // (An approval given after a crash may go unused: the resumed turn is told its call was
      // interrupted and the model decides not to ask again.)
      const checks = lines(join(dirs[1] as string, 'checks.txt'));
      const checkCalls = s.emu.requests().filter((r) => r.stepName === 'ask').length;
      if (checks > approved || checks > checkCalls)
        fail(
          opts,
          cycle,
          `node check.js ran ${checks} times for ${approved} approvals and ${checkCalls} calls by the model`,
        );
      const jobCalls = s.emu.requests().filter((r) => r.stepName === 'job').length;
      const jobRuns = lines(join(dirs[2] as string, 'runs.txt'));
      if (jobRuns > jobCalls) fail(opts, cycle, `node job.js ran ${jobRuns} times for ${jobCalls} calls by the model`);
      if (s.emu.requests().some((r) => r.stepName === 'unexpected'))
        fail(opts, cycle, 'the model was sent a request no step expected');
      opts.log?.(
        `cycle ${cycle}/${opts.cycles}: settled ${recoveryMs.at(-1)} ms after the kill; ms per phase: ${marks
          .slice(1)
          .map(([what, t], i) => `${what} ${t - (marks[i]?.[1] ?? t)}`)
          .join(', ')}`,
      );
    }
    return {
      cycles: opts.cycles,
      seed: opts.seed,
      ms: Date.now() - started,
      recoveryMs,
      jobRuns: lines(join(dirs[2] as string, 'runs.txt')),
      checkRuns: lines(join(dirs[1] as string, 'checks.txt')),
      interrupted,
      killedDuringCommand,
    };
  } finally {
    for (const p of processesIn(projects)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    closeRpc();
    await s.cleanup();
  }
}

/**
 * Drives every session to rest the way a user would: an interrupted turn is resumed, a pending
 * approval is decided (allowed or denied at random). Fails when that takes longer than the bound.
 */
async function settle(
  rpc: Rpc,
  ids: string[],
  opts: CrashLoopOptions,
  cycle: number,
  boundMs: number,
  random: () => number,
  onApprove: () => void,
): Promise<void> {
  const deadline = Date.now() + boundMs;
  const decided = new Set<string>();
  const resumed = new Set<string>();
  let last: Session[] = [];
  for (;;) {
    last = (await rpc.list()).filter((x) => ids.includes(x.id));
    if (last.length === ids.length && last.every(SETTLED)) return;
    if (Date.now() > deadline)
      fail(
        opts,
        cycle,
        `sessions stuck ${boundMs} ms after the restart: ` +
          JSON.stringify(
            last.map((x) => ({
              id: x.id,
              state: SessionState[x.state],
              interrupted: x.interrupted,
              pendingApprovals: x.pendingApprovals,
            })),
          ),
      );
    for (const x of last) {
      if (x.pendingApprovals > 0) {
        for (const a of await rpc.approvals(x.id)) {
          if (decided.has(a.id)) continue;
          decided.add(a.id);
          const allow = random() < 0.5;
          await rpc
            .decide(a.id, allow)
            .catch((e: Error) => fail(opts, cycle, `${allow ? 'approve' : 'deny'} ${a.id}: ${e.message}`));
          if (allow) onApprove();
        }
      } else if (x.state === SessionState.IDLE && x.interrupted && !resumed.has(x.id)) {
        resumed.add(x.id);
        await rpc.resume(x.id).catch((e: Error) => fail(opts, cycle, `resume ${x.id}: ${e.message}`));
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
