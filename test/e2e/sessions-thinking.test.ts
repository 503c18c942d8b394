// Thinking through a real sylkd: extended thinking turned on per model in config, the thinking
// deltas stored as `thinking_delta` events (no error in the daemon log for them), the signed block
// sent back with the tool result (the emulator refuses it otherwise, as the API does), and shown
// dimmed by an attached client. And a reply cut by a dropped connection: what the user saw is
// kept, marked truthfully, with the roles of the next request alternating.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/sylk.js';
import { eventsOfKind, scenarioFile, sessionHarness, startDetached, type SessionHarness } from '../helpers/sessions.js';

const MODEL = 'claude-sonnet-4-5-20250929';
const THINKING = 'The user wants the notes.\nRead notes.txt before answering.';
const DIM = '\u001b[2m';

let harnesses: SessionHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
});

async function harness(budget = 2048): Promise<SessionHarness> {
  const s = await sessionHarness({ path: scenarioFile('thinking') });
  harnesses.push(s);
  // Before the daemon starts: thinking on for one model, as a user configures it.
  writeFileSync(
    join(s.h.home, 'config', 'config.yaml'),
    [
      'llm:',
      '  default_provider: anthropic',
      '  providers:',
      '    anthropic:',
      `      base_url: ${s.emu.url}`,
      '      default_model: claude-sonnet-5-5',
      '      models:',
      `        ${MODEL}:`,
      `          thinking_budget_tokens: ${budget}`,
      '',
    ].join('\n'),
  );
  return s;
}

/** Files under `dir` whose name matches. */
function findFiles(dir: string, name: string | RegExp): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return findFiles(path, name);
    return (typeof name === 'string' ? entry === name : name.test(entry)) ? [path] : [];
  });
}

/** Every line of the daemon's log files under the home. */
function daemonLogLines(home: string): string[] {
  return findFiles(home, /\.log$/)
    .filter((f) => f.includes('/logs/'))
    .flatMap((f) => readFileSync(f, 'utf8').split('\n'));
}

describe('thinking', () => {
  it('is turned on from config, stored as thinking_delta events, sent back signed with the tool result, and shown dimmed', async () => {
    const s = await harness();
    const project = s.project('notes', { 'notes.txt': 'hello from the notes\n' });
    const created = await startDetached(s, project, 'read the notes', ['--model', MODEL]);
    await s.waitState(created.id, ['idle', 'failed'], 60_000);
    const events = await s.events(created.id);
    expect(eventsOfKind(events, 'error')).toEqual([]);
    expect(eventsOfKind(events, 'assistant_message').map((e) => e.data.text)).toEqual([
      'Reading the notes.',
      'The notes say hello.',
    ]);
    const deltas = eventsOfKind(events, 'thinking_delta');
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.map((e) => String(e.data.text)).join('')).toBe(`${THINKING}They say hello.`);

    // The requests: thinking with the configured budget; the tool result follows the signed block.
    const [first, second] = s.emu.requests().filter((r) => r.turn !== undefined);
    expect((first?.body as Record<string, unknown>)['thinking']).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(second?.stepName).toBe('answer');
    const assistant = (
      second?.body as { messages: Array<{ role: string; content: Array<{ type: string; thinking?: string }> }> }
    ).messages[1];
    expect(assistant?.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use']);
    expect(assistant?.content[0]?.thinking).toBe(THINKING);

    // The session's history file keeps the signed block (a restarted daemon sends it back too).
    const history = findFiles(s.h.home, 'history.jsonl')
      .map((f) => readFileSync(f, 'utf8'))
      .join('');
    expect(history).toContain(
      '"thinking":[{"type":"thinking","thinking":"The user wants the notes.\\nRead notes.txt before answering.","signature":"emu_sig_',
    );

    // No error for any of them in the daemon log (they were dropped and logged, once per delta).
    const logLines = daemonLogLines(s.h.home);
    expect(logLines.some((l) => l.includes('"agent turn finished"'))).toBe(true);
    expect(logLines.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);

    // An attached client (no terminal: it replays and leaves) shows one dim line per thinking block…
    const colour = { ...s.h.env, NO_COLOR: '', FORCE_COLOR: '1' };
    const attached = await runCli(['attach', created.id], { env: colour, timeoutMs: 30_000 });
    expect(attached.code, attached.stderr).toBe(0);
    const thought = attached.stdout.split('\n').filter((l) => l.includes('✻ thought'));
    expect(thought, attached.stdout).toHaveLength(2);
    expect(thought[0]).toContain(`${DIM}✻ thought (${THINKING.length} chars): The user wants the notes.`);
    // …and the whole text, dimmed, with --show-thinking; `sylk logs` renders the same way.
    const full = await runCli(['logs', created.id, '--show-thinking'], { env: colour, timeoutMs: 30_000 });
    expect(full.stdout).toContain(`${DIM}┊ Read notes.txt before answering.`);
  });
});

describe('a thinking budget the API would refuse', () => {
  it('fails the turn before any request with a user-fixable error naming the setting; the daemon stays up', async () => {
    const s = await harness(500);
    const project = s.project('budget', { 'notes.txt': 'hello from the notes\n' });
    const created = await startDetached(s, project, 'read the notes', ['--model', MODEL]);
    const error = await s.waitEvent(created.id, (e) => e.kind === 'error', 'the error');
    expect(error.data).toMatchObject({
      tier: 'user_fixable',
      hint: expect.stringContaining(`llm.providers.anthropic.models.${MODEL}.thinking_budget_tokens`),
    });
    expect(String(error.data.message)).toContain('thinking budget');
    expect(s.emu.requests().filter((r) => r.turn !== undefined)).toEqual([]);
    expect((await s.cli(['status'])).code).toBe(0);
  });
});

describe('a reply cut by a dropped connection', () => {
  it('keeps what the user saw, marked "the connection dropped here", and the next request alternates roles', async () => {
    const s = await harness();
    const project = s.project('drop');
    const created = await startDetached(s, project, 'explain the project');
    await s.waitState(created.id, ['idle', 'failed'], 60_000);
    const seen = eventsOfKind(await s.events(created.id), 'assistant_delta')
      .map((e) => String(e.data.text))
      .join('');
    expect(seen.length).toBeGreaterThan(0);

    expect((await s.cli(['send', created.id, 'go on'])).code).toBe(0);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'assistant_message' && e.data.text === 'Going on.',
      'the next answer',
    );
    const next = s.emu
      .requests()
      .filter((r) => r.turn !== undefined)
      .at(-1);
    expect(next?.stepName).toBe('after-drop');
    const messages = (next?.body as { messages: Array<{ role: string; content: unknown }> }).messages;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[1]?.content).toBe(`${seen}\n\n[the connection dropped here]`);
  });
});
