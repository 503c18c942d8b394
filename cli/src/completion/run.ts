import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { VERSION } from '@sylk/core';
import { findProjectRoot, resolveDirs, resolveSocketPath } from '@sylk/config/paths';
import { fileCache, type CompletionCache } from './cache.js';
import { daemonData } from './daemon-data.js';
import { commandSpec, commandWord, completeSlot, resolveSlot, type Candidate, type CommandSpec } from './words.js';

/** The hidden command the completion scripts call: `sylk __complete <shell> -- <words…>`. */
export const COMPLETE_COMMAND = '__complete';

/** A command tree is cached for this build of the bundle; a day bounds what an old one leaves behind. */
const TREE_TTL_MS = 24 * 3_600_000;
const DESCRIPTION_CHARS = 60;

export interface CompleteContext<G extends string> {
  env: NodeJS.ProcessEnv;
  cwd: string;
  now(): number;
  /** The program with only these command groups registered (loading all of them is most of a slow start). */
  build(groups: readonly G[]): Promise<Command>;
  groupOf(command: string): G | undefined;
  /** Every top-level command name. */
  commands: readonly string[];
  write(text: string): void;
}

/** A value from the daemon with whitespace or control characters would split lines or reach the terminal. */
const UNSAFE = /[\s\u0000-\u001f\u007f]/;

/**
 * Which build of sylk runs: the bundle's size and mtime (an upgrade or rebuild changes them); undefined
 * when not running from the bundle (tests), and then trees are not cached.
 */
function buildId(): string | undefined {
  try {
    const st = statSync(__filename);
    return `${VERSION}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** The tree of these command groups, from the cache when this build put it there. */
async function tree<G extends string>(groups: readonly G[], ctx: CompleteContext<G>, cache: CompletionCache) {
  const id = buildId();
  const key = `tree\n${id}\n${groups.join(',')}`;
  const hit = id === undefined ? undefined : cache.get(key);
  if (hit !== undefined) return hit as CommandSpec;
  const spec = commandSpec(await ctx.build(groups));
  if (id !== undefined) cache.set(key, spec, TREE_TTL_MS);
  return spec;
}

/** The whole tree, for zsh and fish to show what each top-level command does (cached like any tree). */
function describedRoot<G extends string>(ctx: CompleteContext<G>, cache: CompletionCache) {
  const groups = [...new Set(ctx.commands.map((c) => ctx.groupOf(c)))].filter((g): g is G => g !== undefined);
  return tree(groups, ctx, cache);
}

/** bash takes bare words; zsh and fish show `word<TAB>description`. */
function line(shell: string, c: Candidate): string {
  if (shell === 'bash' || c.description === undefined || c.description === '') return c.value;
  const text = c.description.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return `${c.value}\t${text.length > DESCRIPTION_CHARS ? `${text.slice(0, DESCRIPTION_CHARS - 1)}…` : text}`;
}

/**
 * Print the candidates for the last of `words`, one per line. Never starts the daemon and never
 * fails: without a daemon it prints what the command tree alone knows, for bad arguments nothing.
 */
export async function runComplete<G extends string>(args: readonly string[], ctx: CompleteContext<G>): Promise<number> {
  const [shell = '', dashes, ...words] = args;
  if (!['bash', 'zsh', 'fish'].includes(shell) || dashes !== '--') return 0;
  if (words.length === 0) words.push('');
  const dirs = resolveDirs(ctx.env);
  const cache = fileCache(dirs.runtime, ctx.now);
  const root = await tree([], ctx, cache);
  const word = commandWord(words.slice(0, -1), root);
  const group = word === undefined ? undefined : ctx.groupOf(word);
  if (word !== undefined && group === undefined) return 0;
  const slot = resolveSlot(
    words,
    group !== undefined ? await tree([group], ctx, cache) : shell === 'bash' ? root : await describedRoot(ctx, cache),
    ctx.commands,
  );
  if (slot === undefined) return 0;
  const socket = slot.given.get('--socket') ?? resolveSocketPath(ctx.env, dirs);
  const profile = slot.given.get('--profile') ?? ctx.env.SYLK_PROFILE;
  const data = daemonData({
    socket,
    ...(profile ? { profile } : {}),
    projectDir: findProjectRoot(ctx.cwd) ?? '',
    env: ctx.env,
    cache,
  });
  try {
    const candidates = (await completeSlot(slot, data)).filter((c) => !UNSAFE.test(c.value));
    if (candidates.length > 0) ctx.write(`${candidates.map((c) => line(shell, c)).join('\n')}\n`);
  } finally {
    data.close();
  }
  return 0;
}
