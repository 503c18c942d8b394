/**
 * `@path` mentions in a prompt attach that file to the user message the model sees. Paths resolve
 * relative to the project root through the FileSystemManager's boundary (symlinks followed and
 * checked), so nothing outside the project is attached; `.git` internals, secret-looking files
 * and binary files are refused; each file is cut at the size limit with a note. A mention that
 * names nothing (an npm scope, an e-mail handle) stays plain text.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, relative, sep } from 'node:path';
import type { Redactor } from '@sylk/core';
import type { FileSystemManager } from '@sylk/tools';

export interface MentionOptions {
  fs: FileSystemManager;
  /** Bytes of one file attached at most (`sessions.mention_max_kb`); the rest is cut with a note. */
  maxFileBytes: number;
  /** Known secrets, redacted from what is attached. */
  redact?: Redactor;
}

export interface MentionedFile {
  /** Project-relative, `/`-separated. */
  path: string;
  attached: boolean;
  sizeBytes: number;
  /** Bytes of it in the message. */
  attachedBytes: number;
  truncated: boolean;
  /** Why it was not attached. */
  reason?: string;
}

export interface MentionResult {
  /** What the model gets as the user message: the typed text plus the attached files. */
  prompt: string;
  /** Every mention that named a file or was refused; empty when nothing was mentioned. */
  files: MentionedFile[];
}

/** Files per prompt, and all of them together at most this many times the per-file limit. */
const MENTION_LIMITS = { files: 20, totalFactor: 4 } as const;

const MENTION = /(^|[\s([{])@(?:"([^"\n]+)"|([^\s"'`<>|]+))/g;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}'"]+$/;

/**
 * The paths mentioned in `text`, in order, each once.
 * @internal exported for tests
 */
export function findMentions(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(MENTION)) {
    const path = m[2] ?? (m[3] ?? '').replace(TRAILING_PUNCTUATION, '');
    if (path !== '' && !out.includes(path)) out.push(path);
  }
  return out;
}

const SECRET_FILE_NAMES: readonly RegExp[] = [
  /^\.env(\.(?!example$|sample$|template$|dist$)[^/]*)?$/i,
  /\.(pem|key|p12|pfx|jks|keystore|kdbx|gpg|asc)$/i,
  /^id_(rsa|dsa|ecdsa|ed25519)(?!.*\.pub$)/,
  /^\.(netrc|npmrc|pypirc|pgpass|git-credentials|htpasswd)$/i,
  /^(credentials|secrets?)(\.[a-z]+)?$/i,
];

/** Why a project-relative path is never attached, if it is not. */
function refusal(rel: string): string | undefined {
  const parts = rel.split('/');
  if (parts.includes('.git')) return ".git internals are git's own state";
  const name = basename(rel);
  if (SECRET_FILE_NAMES.some((re) => re.test(name))) return 'it looks like a file of secrets';
  return undefined;
}

function size(bytes: number): string {
  return bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(1)} KB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function readHead(path: string, max: number): Promise<Buffer> {
  // Non-blocking, and checked again once open: a file swapped for a FIFO must not hang the input.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) return Buffer.alloc(0);
    const buffer = Buffer.alloc(max);
    const { bytesRead } = await handle.read(buffer, 0, max, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** One mention: attached, refused with a reason, or undefined when it names nothing in the project. */
async function resolveOne(
  requested: string,
  opts: MentionOptions,
  budget: number,
): Promise<{ file: MentionedFile; content?: string } | undefined> {
  let resolved;
  try {
    resolved = await opts.fs.boundary.resolve(requested, { followLeaf: true });
  } catch {
    // Outside the project (or an unusable path): refused only if something is really there.
    return undefined;
  }
  const roots = await opts.fs.boundary.allowedRoots();
  const project = roots.find((r) => r.name === 'project')?.path;
  if (resolved.stat === undefined || project === undefined || resolved.root.name !== 'project') return undefined;
  const rel = relative(project, resolved.target).split(sep).join('/');
  const base = { path: rel, sizeBytes: resolved.stat.size, attachedBytes: 0, truncated: false };
  if (resolved.stat.isDirectory())
    return { file: { ...base, sizeBytes: 0, attached: false, reason: 'it is a directory' } };
  if (!resolved.stat.isFile()) return undefined;
  const refused =
    refusal(rel) ??
    (resolved.via !== undefined ? refusal(relative(project, resolved.via).split(sep).join('/')) : undefined);
  if (refused !== undefined) return { file: { ...base, attached: false, reason: refused } };
  if (budget <= 0)
    return { file: { ...base, attached: false, reason: 'the attachments of one prompt are at their size limit' } };
  const limit = Math.min(opts.maxFileBytes, budget);
  const data = await readHead(resolved.target, Math.min(resolved.stat.size, limit));
  if (data.subarray(0, 8192).includes(0)) return { file: { ...base, attached: false, reason: 'it is a binary file' } };
  const truncated = resolved.stat.size > data.length;
  let text = data.toString('utf8');
  // Cut at a line end when there is one near, and never inside a character.
  if (truncated) text = text.replace(/\uFFFD$/, '').replace(/\n[^\n]*$/, '\n');
  const content = opts.redact === undefined ? text : opts.redact.redact(text);
  return { file: { ...base, attached: true, attachedBytes: Buffer.byteLength(text), truncated }, content };
}

/** Resolves the prompt's mentions and builds the message the model gets. */
export async function attachMentions(text: string, opts: MentionOptions): Promise<MentionResult> {
  const mentions = findMentions(text).slice(0, MENTION_LIMITS.files);
  if (mentions.length === 0) return { prompt: text, files: [] };
  let budget = opts.maxFileBytes * MENTION_LIMITS.totalFactor;
  const files: MentionedFile[] = [];
  const blocks: string[] = [];
  for (const requested of mentions) {
    // A file that cannot be read (permissions, gone meanwhile) is left as text, like an unknown path.
    const one = await resolveOne(requested, opts, budget).catch(() => undefined);
    if (one === undefined || files.some((f) => f.path === one.file.path)) continue;
    files.push(one.file);
    const f = one.file;
    if (!f.attached || one.content === undefined) {
      blocks.push(`[@${requested} was not attached: ${f.reason ?? 'unreadable'}]`);
      continue;
    }
    budget -= f.attachedBytes;
    const cut = f.truncated
      ? `\n[cut at ${size(f.attachedBytes)} of ${size(f.sizeBytes)}; read_file ${f.path} for the rest]`
      : '';
    blocks.push(
      `<file path="${f.path}">\n${one.content}${one.content.endsWith('\n') || one.content === '' ? '' : '\n'}</file>${cut}`,
    );
  }
  if (blocks.length === 0) return { prompt: text, files };
  return { prompt: `${text}\n\nFiles the user mentioned (@path), as they are now:\n${blocks.join('\n')}`, files };
}
