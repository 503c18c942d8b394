/**
 * Hostile-model harness: a scripted model (the emulator) that answers a probe prompt with attack
 * tool calls, run through a real sylkd with no `--yes`; the test decides every approval itself
 * and records what was asked, what ran, what the model got back, and what landed on disk.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Scenario } from '@sylk/emulator';
import { CLI, waitFor, type RunResult } from './sylk.js';
import { startDetached, type ApprovalJson, type EventJson, type SessionHarness } from './sessions.js';

export interface AttackCall {
  name: string;
  arguments: Record<string, unknown>;
}

export interface Probe {
  name: string;
  /** One model turn issuing these calls (in order), then "Done." after the results. */
  calls: AttackCall[];
}

const probePrompt = (name: string): string => `[[probe:${name}]]`;

/** One step per probe, keyed by its prompt; every later request (tool results) gets "Done.". */
export function probeScenario(name: string, apiKey: string, probes: readonly Probe[]): Scenario {
  return {
    name,
    apiKey,
    steps: [
      ...probes.map((p) => ({
        name: `probe:${p.name}`,
        match: { lastUser: probePrompt(p.name) },
        reply: { text: `Trying ${p.name}.`, toolCalls: p.calls },
      })),
      { name: 'done', reply: { text: 'Done.' } },
    ],
  };
}

export interface ProbeRun {
  sessionId: string;
  events: EventJson[];
  /** Every approval raised, in order, with how the test answered it. */
  approvals: Array<ApprovalJson & { answered: 'approve' | 'deny' }>;
  /** The session's whole event log as text. */
  eventText: string;
  /** What the model was sent after the attack (the tool results it read), as text. */
  modelSaw: string;
  /** tool_finished per call, in order: name, isError, summary. */
  finished: Array<{ name: string; isError: boolean; summary: string }>;
}

/**
 * Starts the probe's session and answers every approval it raises (`approve` decides, per
 * approval) until the session is idle or failed.
 */
export async function runProbe(
  s: SessionHarness,
  project: string,
  name: string,
  approve: (a: ApprovalJson) => boolean,
  timeoutMs = 60_000,
): Promise<ProbeRun> {
  const firstRequest = s.emu.requests().length;
  const created = await startDetached(s, project, probePrompt(name));
  const approvals: ProbeRun['approvals'] = [];
  await waitFor(
    async () => {
      for (const a of await s.approvals(created.id)) {
        const yes = approve(a);
        const r = await s.cli(yes ? ['approve', a.id] : ['deny', a.id, '-m', 'denied by the hostile-model test']);
        if (r.code !== 0 && !/not pending|already/i.test(r.stderr)) throw new Error(`deciding ${a.id}: ${r.stderr}`);
        approvals.push({ ...a, answered: yes ? 'approve' : 'deny' });
      }
      const state = (await s.session(created.id)).state;
      return state === 'idle' || state === 'failed';
    },
    timeoutMs,
    `probe ${name} to finish`,
  );
  const events = await s.events(created.id);
  const finished = events
    .filter((e) => e.kind === 'tool_finished')
    .map((e) => ({
      name: String(e.data.name),
      isError: e.data.isError === true,
      summary: String(e.data.summary ?? ''),
    }));
  const modelSaw = s.emu
    .requests()
    .slice(firstRequest)
    .map((q) => JSON.stringify(q.body))
    .join('\n');
  return {
    sessionId: created.id,
    events,
    approvals,
    eventText: events.map((e) => JSON.stringify(e)).join('\n'),
    modelSaw,
    finished,
  };
}

/** `sylk …` feeding `input` on stdin (e.g. `auth login --api-key-stdin`). */
export function runCliWithInput(
  args: string[],
  env: NodeJS.ProcessEnv,
  input: string,
  timeoutMs = 20_000,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sylk ${args.join(' ')} timed out`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

export interface Hit {
  where: string;
  needle: string;
  /** A little text around the first occurrence. */
  excerpt: string;
}

function around(text: string, at: number, needle: string): string {
  return text.slice(Math.max(0, at - 60), at + needle.length + 20).replace(/[^\x20-\x7e]/g, '.');
}

/** Every regular file under `root` (symlinks not followed), depth first. */
function filesUnder(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      let info;
      try {
        info = lstatSync(path);
      } catch {
        continue; // gone meanwhile (a socket, a temp file)
      }
      if (info.isDirectory()) visit(path);
      else if (info.isFile()) out.push(path);
    }
  };
  visit(root);
  return out;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0');

/**
 * Searches every file under `root` as raw bytes (UTF-8 and UTF-16LE spellings of each needle) and
 * every SQLite database there through SQL too (every row of every table, so compressed pages or
 * overflow cannot hide a value from the byte scan's point of view either).
 */
export function searchTree(root: string, needles: readonly string[]): Hit[] {
  const hits: Hit[] = [];
  for (const file of filesUnder(root)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      continue;
    }
    for (const needle of needles) {
      const at = bytes.indexOf(Buffer.from(needle, 'utf8'));
      if (at !== -1) hits.push({ where: file, needle, excerpt: around(bytes.toString('latin1'), at, needle) });
      else if (bytes.includes(Buffer.from(needle, 'utf16le')))
        hits.push({ where: `${file} (UTF-16)`, needle, excerpt: '' });
    }
    if (bytes.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) hits.push(...searchDatabase(file, needles));
  }
  return hits;
}

function searchDatabase(file: string, needles: readonly string[]): Hit[] {
  const hits: Hit[] = [];
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).iterate() as Iterable<
        Record<string, unknown>
      >) {
        const text = Object.values(row)
          .map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)))
          .join('\u0000');
        for (const needle of needles) {
          const at = text.indexOf(needle);
          if (at !== -1) hits.push({ where: `${file} (table ${name})`, needle, excerpt: around(text, at, needle) });
        }
      }
    }
  } catch (err) {
    hits.push({ where: `${file} (unreadable as SQLite: ${(err as Error).message})`, needle: '', excerpt: '' });
  } finally {
    db?.close();
  }
  return hits;
}

/** Which needles occur in `text`, labelled `where`. */
export function searchText(where: string, text: string, needles: readonly string[]): Hit[] {
  return needles
    .filter((n) => text.includes(n))
    .map((needle) => ({ where, needle, excerpt: around(text, text.indexOf(needle), needle) }));
}
