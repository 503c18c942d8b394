import { createWriteStream, type WriteStream } from 'node:fs';
import { Option, type Command } from 'commander';
import { createClient } from '@sylk/proto/client';
import { AuditService, type AuditEntry, type VerifyAuditResponse } from '@sylk/proto/security';
import { connectDaemon } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import { emit, style, type GlobalOptions, type Style } from '../output.js';
import type { Runtime } from '../runtime.js';

/** Mirrors the daemon's list (the CLI may import only the API package): checked again by the daemon. */
export const CATEGORIES = [
  'permission',
  'file',
  'process',
  'network',
  'llm',
  'session',
  'config',
  'auth',
  'audit',
  'mcp',
] as const;
const FORMATS = ['table', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `24h`, `7d`, `30m`, `2w`, `90s` before `now`, or an ISO 8601 date/time; Unix ms. */
export function parseTimeSpec(spec: string, now: number, flag: string): number {
  const rel = /^(\d+)([smhdw])$/.exec(spec.trim());
  if (rel) return now - Number(rel[1]) * (UNIT_MS[rel[2] as string] as number);
  const t = Date.parse(spec);
  if (/^\d{4}-\d{2}-\d{2}/.test(spec) && Number.isFinite(t)) return t;
  throw new CliError(
    `${flag} must be a duration like 30m, 24h, 7d or an ISO date/time like 2026-01-31T12:00:00Z; got '${spec}'`,
    EXIT.usage,
  );
}

export interface EntryJson {
  seq: number;
  id: string;
  time: string;
  category: string;
  severity: string;
  action: string;
  target: string;
  outcome: string;
  sessionId: string;
  projectId: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export function entryJson(e: AuditEntry): EntryJson {
  let details: Record<string, unknown> = {};
  try {
    details = e.detailsJson ? (JSON.parse(e.detailsJson) as Record<string, unknown>) : {};
  } catch {
    details = { unparsed: e.detailsJson };
  }
  return {
    seq: Number(e.seq),
    id: e.id,
    time: new Date(Number(e.timeUnixMs)).toISOString(),
    category: e.category,
    severity: e.severity,
    action: e.action,
    target: e.target,
    outcome: e.outcome,
    sessionId: e.sessionId,
    projectId: e.projectId,
    details,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

const CSV_COLUMNS = [
  'seq',
  'time',
  'category',
  'severity',
  'action',
  'target',
  'outcome',
  'session_id',
  'project_id',
  'details',
  'hash',
] as const;

/** RFC 4180 quoting; a leading = + - @ is prefixed with ' so a spreadsheet never runs a model-chosen target as a formula. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvRow(j: EntryJson): string {
  const cells = [
    String(j.seq),
    j.time,
    j.category,
    j.severity,
    j.action,
    j.target,
    j.outcome,
    j.sessionId,
    j.projectId,
    JSON.stringify(j.details),
    j.hash,
  ];
  return cells.map(csvCell).join(',');
}

const clip = (s: string, n: number) => (s.length <= n ? s.padEnd(n) : `${s.slice(0, n - 1)}…`);

export function tableHeader(st: Style): string {
  return st.bold(
    `${clip('time', 24)} ${clip('seq', 7)} ${clip('category', 10)} ${clip('action', 20)} ${clip('outcome', 12)} ${clip('session', 14)} target`,
  );
}

export function tableRow(j: EntryJson, st: Style): string {
  const outcome = clip(j.outcome, 12);
  const coloured = j.severity === 'security' || j.severity === 'critical' ? st.yellow(outcome) : outcome;
  return (
    `${clip(j.time, 24)} ${clip(String(j.seq), 7)} ${clip(j.category, 10)} ${clip(j.action, 20)} ` +
    `${coloured} ${clip(j.sessionId || '-', 14)} ${j.target.replace(/\s+/g, ' ')}`
  );
}

/** Writes entries as they stream in (a large export never sits in memory). */
class EntryWriter {
  private count = 0;
  constructor(
    private readonly format: Format,
    private readonly out: NodeJS.WritableStream,
    private readonly st: Style,
  ) {}

  start(): void {
    if (this.format === 'json') this.out.write('[');
    else if (this.format === 'csv') this.out.write(`${CSV_COLUMNS.join(',')}\n`);
    else this.out.write(`${tableHeader(this.st)}\n`);
  }

  entry(e: AuditEntry): void {
    const j = entryJson(e);
    if (this.format === 'json') this.out.write(`${this.count === 0 ? '\n' : ',\n'}${JSON.stringify(j)}`);
    else if (this.format === 'csv') this.out.write(`${csvRow(j)}\n`);
    else this.out.write(`${tableRow(j, this.st)}\n`);
    this.count++;
  }

  end(): number {
    if (this.format === 'json') this.out.write(this.count === 0 ? ']\n' : '\n]\n');
    else if (this.format === 'table' && this.count === 0) this.out.write(`${this.st.dim('(no matching entries)')}\n`);
    return this.count;
  }
}

interface QueryFlags {
  since?: string;
  until?: string;
  category?: string[];
  session?: string;
  action?: string;
  targetRegex?: string;
  outcome?: string;
  limit?: string;
  format?: string;
}

/** The QueryAuditRequest fields, as sent. */
export interface QueryRequestInit {
  sinceUnixMs: bigint;
  untilUnixMs: bigint;
  categories: string[];
  sessionId: string;
  action: string;
  targetRegex: string;
  outcome: string;
  limit: number;
}

export function queryRequest(o: QueryFlags, now: number): QueryRequestInit {
  const categories = (o.category ?? [])
    .flatMap((c) => c.split(','))
    .map((c) => c.trim())
    .filter((c) => c !== '');
  for (const c of categories) {
    if (!(CATEGORIES as readonly string[]).includes(c))
      throw new CliError(`--category must be among ${CATEGORIES.join(', ')}; got '${c}'`, EXIT.usage);
  }
  let limit = 0;
  if (o.limit !== undefined) {
    limit = Number(o.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new CliError(`--limit must be a positive integer; got '${o.limit}'`, EXIT.usage);
  }
  return {
    sinceUnixMs: o.since ? BigInt(parseTimeSpec(o.since, now, '--since')) : 0n,
    untilUnixMs: o.until ? BigInt(parseTimeSpec(o.until, now, '--until')) : 0n,
    categories,
    sessionId: o.session ?? '',
    action: o.action ?? '',
    targetRegex: o.targetRegex ?? '',
    outcome: o.outcome ?? '',
    limit,
  };
}

function formatOf(o: { format?: string }, opts: GlobalOptions, fallback: Format): Format {
  if (o.format === undefined) return opts.json ? 'json' : fallback;
  if (!(FORMATS as readonly string[]).includes(o.format))
    throw new CliError(`--format must be table, json or csv; got '${o.format}'`, EXIT.usage);
  return o.format as Format;
}

/** Streams the query's entries into `writer`; returns how many. */
async function streamQuery(
  rt: Runtime,
  opts: GlobalOptions,
  req: QueryRequestInit,
  writer: EntryWriter,
): Promise<number> {
  const conn = await connectDaemon(opts, rt.env);
  try {
    const audit = createClient(AuditService, conn.channel);
    writer.start();
    for await (const res of audit.queryAudit(req, { metadata: conn.metadata, signal: rt.signal })) {
      if (res.entry) writer.entry(res.entry);
    }
    return writer.end();
  } finally {
    conn.close();
  }
}

export function verifyJson(r: VerifyAuditResponse) {
  return {
    ok: r.ok,
    entries: Number(r.entries),
    signatures: Number(r.signatures),
    files: r.files,
    problems: r.problems.map((p) => ({ file: p.file, line: Number(p.line), seq: Number(p.seq), problem: p.problem })),
  };
}

export function renderVerify(j: ReturnType<typeof verifyJson>, st: Style): string {
  const head = `${j.entries} entries, ${j.signatures} signatures, ${j.files} file(s)`;
  if (j.ok) return `${st.green('audit log intact')}: ${head}`;
  const lines = [`${st.red(`audit log has ${j.problems.length} problem(s)`)}: ${head}`];
  for (const p of j.problems) lines.push(`  ${p.file}:${p.line}${p.seq > 0 ? ` (seq ${p.seq})` : ''}: ${p.problem}`);
  return lines.join('\n');
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function queryOptions(cmd: Command): Command {
  return cmd
    .option('--since <when>', 'from this time: 30m, 24h, 7d, 2w or an ISO date/time')
    .option('--until <when>', 'up to this time (same forms)')
    .option('--category <name>', `repeatable or comma-separated: ${CATEGORIES.join(', ')}`, collect)
    .option('--session <id>', 'only this session id')
    .option('--action <action>', 'only this action (verdict, approval, file_write, process_start, llm_call, …)')
    .option('--outcome <outcome>', 'only this outcome (allow, deny, ask, ok, 0, …)')
    .option('--target-regex <re>', 'targets matching this RE2 pattern (at most 256 characters)');
}

export function registerAuditCommands(program: Command, rt: Runtime): void {
  const audit = program
    .command('audit')
    .description('the tamper-evident audit log: query, verify, export (through sylkd)');

  queryOptions(audit.command('query').description('matching audit entries, oldest first'))
    .option('--limit <n>', 'at most this many entries')
    .addOption(
      new Option('--format <format>', 'table | json | csv (default table; json with --json)').choices([...FORMATS]),
    )
    .action(async (o: QueryFlags, cmd: Command) => {
      const opts = rt.globals(cmd);
      const format = formatOf(o, opts, 'table');
      const req = queryRequest(o, Date.now());
      await streamQuery(
        rt,
        opts,
        req,
        new EntryWriter(format, process.stdout, style(format === 'table' && rt.color(opts))),
      );
    });

  audit
    .command('verify')
    .description('check hash chain, sequence and signatures across all files; exit 1 listing every problem')
    .action(async (_o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const conn = await connectDaemon(opts, rt.env);
      let res: VerifyAuditResponse;
      try {
        res = await createClient(AuditService, conn.channel).verifyAudit(
          {},
          { metadata: conn.metadata, signal: rt.signal, timeoutMs: 600_000 },
        );
      } finally {
        conn.close();
      }
      const j = verifyJson(res);
      emit(opts, j, () => renderVerify(j, style(rt.color(opts))));
      if (!j.ok) rt.exitCode = EXIT.failure;
    });

  queryOptions(audit.command('export').description('entries as JSON or CSV, to a file or stdout'))
    .addOption(new Option('--format <format>', 'json | csv').choices(['json', 'csv']).default('json'))
    .option('-o, --output <file>', 'write here (created 0600) instead of stdout')
    .action(async (o: QueryFlags & { output?: string }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const req = queryRequest({ since: '7d', ...o }, Date.now());
      const format = (o.format ?? 'json') as Format;
      let file: WriteStream | undefined;
      if (o.output !== undefined) file = createWriteStream(o.output, { mode: 0o600 });
      try {
        const count = await streamQuery(rt, opts, req, new EntryWriter(format, file ?? process.stdout, style(false)));
        if (file !== undefined) {
          await new Promise<void>((resolve, reject) =>
            file?.end((err?: Error | null) => (err ? reject(err) : resolve())),
          );
          process.stderr.write(`exported ${count} entr${count === 1 ? 'y' : 'ies'} to ${o.output}\n`);
        }
      } catch (err) {
        file?.destroy();
        throw err;
      }
    });
}
