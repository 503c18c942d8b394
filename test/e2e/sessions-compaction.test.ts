// Long sessions end to end: a real sylkd and sylk, the emulator as Anthropic with a small context
// window configured for the model. A 200-round session compacts its conversation and completes; a
// message larger than the window is refused clearly; `sylk compact` summarises on request; a reply
// cut at the output limit in the middle of a tool call is never run, and the turn stops after two.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '@sylk/emulator';
import { CLI, parseJson } from '../helpers/sylk.js';
import { startTmux } from '../helpers/tmux.js';
import { eventsOfKind, KEY, sessionHarness, startDetached, type SessionHarness } from '../helpers/sessions.js';

const MODEL = 'claude-sonnet-5-5';
const WINDOW = 6_000;
const OUTPUT = 1_000;
const ROUNDS = 200;
/** ~170 tokens a read; the last line tells the scenario a read came back. */
const NOTES = Array.from({ length: 12 }, (_, i) => `note ${i}: the quick brown fox jumps over the lazy dog`).join('\n');

const scenario: Scenario = {
  name: 'e2e-compaction',
  apiKey: KEY,
  steps: [
    {
      name: 'summary',
      match: { lastUser: 'Write the working summary' },
      reply: { text: 'SUMMARY: the user asked to read notes.txt again and again; it was read many times.' },
    },
    {
      name: 'cut',
      match: { lastUser: 'write the big file' },
      reply: {
        text: 'Writing it whole.',
        toolCalls: [
          { id: 'w1', name: 'write_file', arguments: { path: 'big.txt', content: 'a very long file\n'.repeat(20) } },
        ],
        cutToolArguments: 40,
      },
    },
    {
      name: 'cut-again',
      match: { lastTool: 'output token limit' },
      reply: {
        toolCalls: [
          { id: 'w2', name: 'write_file', arguments: { path: 'big.txt', content: 'still in one piece\n'.repeat(20) } },
        ],
        cutToolArguments: 25,
      },
    },
    {
      name: 'read-start',
      match: { lastUser: `Read notes.txt ${ROUNDS} times` },
      reply: { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] },
    },
    {
      name: 'read',
      match: { lastTool: 'note 11:' },
      times: ROUNDS - 1,
      reply: { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] },
    },
    { name: 'done', match: { lastTool: 'note 11:' }, reply: { text: 'Done reading.' } },
    {
      name: 'slow',
      match: { lastUser: 'Take your time' },
      reply: { text: 'Thinking it over slowly, word by word.', chunkSize: 2, delayMs: 150 },
    },
    { name: 'answer', reply: { text: 'OK.' } },
  ],
};

interface SentBody {
  system?: unknown;
  tools?: unknown[];
  max_tokens: number;
  messages: Array<{ role: string; content: unknown }>;
}

let s: SessionHarness;
let project: string;
beforeAll(async () => {
  s = await sessionHarness({ scenario });
  // The user's config: the emulator as Anthropic, this model's window small, its output limit 1,000.
  writeFileSync(
    join(s.h.home, 'config', 'config.yaml'),
    [
      'llm:',
      '  default_provider: anthropic',
      '  providers:',
      '    anthropic:',
      `      base_url: ${s.emu.url}`,
      `      default_model: ${MODEL}`,
      '      models:',
      `        ${MODEL}:`,
      `          context_window: ${WINDOW}`,
      `          max_output_tokens: ${OUTPUT}`,
      'sessions:',
      `  max_turns: ${ROUNDS + 10}`,
      '  compaction:',
      '    keep_recent_messages: 4',
      '',
    ].join('\n'),
  );
  project = s.project('long', { 'notes.txt': `${NOTES}\n` });
});
afterAll(async () => {
  await s?.cleanup();
});

const isSummary = (b: SentBody) => JSON.stringify(b.messages.at(-1)).includes('Write the working summary');

describe('long sessions', () => {
  it(`completes a ${ROUNDS}-round session in a ${WINDOW}-token window by compacting it, and compacts on request`, async () => {
    const created = await startDetached(s, project, `Read notes.txt ${ROUNDS} times.`);
    const done = await s.waitState(created.id, ['idle', 'failed'], 150_000);
    expect(done.state).toBe('idle');

    const events = await s.events(created.id);
    expect(eventsOfKind(events, 'error')).toEqual([]);
    expect(eventsOfKind(events, 'assistant_message').at(-1)?.data.text).toBe('Done reading.');
    const compacted = eventsOfKind(events, 'compacted');
    expect(compacted.length).toBeGreaterThanOrEqual(5);
    for (const c of compacted) {
      expect(c.data).toMatchObject({ manual: false, model: MODEL, contextWindow: WINDOW });
      expect(c.data.tokensAfter as number).toBeLessThan(c.data.tokensBefore as number);
    }
    const bodies = s.emu.requests().map((r) => r.body as SentBody);
    const main = bodies.filter((b) => !isSummary(b));
    expect(main).toHaveLength(ROUNDS + 1);
    expect(bodies.filter(isSummary)).toHaveLength(compacted.length);
    for (const b of main) {
      // The model's own output limit (not the adapter's 8,192), kept within what the window leaves.
      expect(b.max_tokens).toBeGreaterThan(0);
      expect(b.max_tokens).toBeLessThanOrEqual(OUTPUT);
      expect(Math.ceil(JSON.stringify([b.system, b.tools, b.messages]).length / 4)).toBeLessThan(WINDOW);
    }
    // Saved compacted: the history file opens with the summary.
    const historyPath = join(s.h.home, 'data', 'sessions', created.id, 'history.jsonl');
    const saved = readFileSync(historyPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => parseJson<{ role: string; content: string; summaryOf?: number }>(l));
    expect(saved[0]?.summaryOf).toBeGreaterThan(0);
    expect(saved[0]?.content).toContain('SUMMARY: the user asked');
    expect(saved.length).toBeLessThan(40);
    // The human log shows each compaction as one line.
    const logs = await s.cli(['logs', created.id]);
    expect(logs.stdout).toContain('conversation compacted (near the context window)');

    // The session goes on after all that.
    expect((await s.cli(['send', created.id, 'Anything else?'])).code).toBe(0);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'assistant_message' && e.data.text === 'OK.',
      'the answer to the follow-up',
    );
    await s.waitState(created.id, ['idle', 'failed']);

    // `sylk compact`: summarised now, on request.
    const before = s.emu.requests().length;
    const r = await s.cli(['compact', created.id, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = parseJson<{
      compacted: boolean;
      tokensBefore: number;
      tokensAfter: number;
      messagesSummarized: number;
      model: string;
    }>(r.stdout);
    expect(res).toMatchObject({ compacted: true, model: MODEL });
    expect(res.tokensAfter).toBeLessThan(res.tokensBefore);
    expect(
      s.emu
        .requests()
        .slice(before)
        .map((q) => q.stepName),
    ).toEqual(['summary']);
    expect(eventsOfKind(await s.events(created.id), 'compacted').at(-1)?.data).toMatchObject({
      manual: true,
      messagesSummarized: res.messagesSummarized,
    });
    const human = await s.cli(['compact', created.id]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/Compacted the conversation|Nothing to compact/);

    // Undo after a compaction: the files only; the conversation it began from is a summary now.
    const undo = await s.cli(['undo', created.id, '--json']);
    expect(undo.code, undo.stderr).toBe(0);
    expect(parseJson<{ conversationRewound: boolean }>(undo.stdout).conversationRewound).toBe(false);
    expect(readFileSync(historyPath, 'utf8')).toContain('[Context summary of');
  }, 240_000);

  it('/compact in the attached view compacts the conversation and never reaches the model as input', async () => {
    const created = await startDetached(s, project, 'Hello.');
    await s.waitState(created.id, ['idle', 'failed']);
    for (const text of ['Second.', 'Third.', 'Fourth.']) {
      expect((await s.cli(['send', created.id, text])).code).toBe(0);
      await s.waitEvent(created.id, (e) => e.kind === 'user_input' && e.data.text === text, `input ${text}`);
      await s.waitState(created.id, ['idle', 'failed']);
    }
    const term = startTmux(`${process.execPath} ${CLI} attach ${created.name}`, s.h.env);
    try {
      await term.waitFor((t) => t.includes(`attached to ${created.name}`), 'the attached view');
      term.keys(['/compact'], true);
      term.keys(['Enter']);
      const screen = await term.waitFor((t) => t.includes('Compacted the conversation'), 'the /compact answer');
      expect(screen).toMatch(/4 messages summarised by claude-sonnet-5-5/);
      await term.waitFor((t) => t.includes('conversation compacted on request'), 'the compacted event in the view');
    } finally {
      term.kill();
    }
    const events = await s.events(created.id);
    expect(eventsOfKind(events, 'user_input').map((e) => e.data.text)).toEqual([
      'Hello.',
      'Second.',
      'Third.',
      'Fourth.',
    ]);
    expect(eventsOfKind(events, 'compacted').at(-1)?.data).toMatchObject({ manual: true, messagesSummarized: 4 });
  }, 90_000);

  it('refuses a single message larger than the window with a clear error, not a retry loop; the session stays usable', async () => {
    const created = await startDetached(s, project, 'Hello.');
    await s.waitState(created.id, ['idle', 'failed']);
    const before = s.emu.requests().length;
    expect((await s.cli(['send', created.id, `Look at this: ${'x'.repeat(WINDOW * 6)}`])).code).toBe(0);
    expect((await s.waitState(created.id, ['idle', 'failed'])).state).toBe('failed');
    expect(s.emu.requests().length).toBe(before); // nothing was sent
    const error = eventsOfKind(await s.events(created.id), 'error').at(-1);
    expect(error?.data).toMatchObject({ code: 'agents.context_overflow', tier: 'user_fixable' });
    expect(String(error?.data.message)).toContain(`more than the ${WINDOW}-token context window of ${MODEL}`);
    expect(String(error?.data.hint)).toContain('send a shorter message');
    expect((await s.cli(['send', created.id, 'A short one.'])).code).toBe(0);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'assistant_message' && e.data.text === 'OK.' && e.seq > (error?.seq ?? 0),
      'the answer after the refused message',
    );
  }, 60_000);

  it('refuses to compact while a turn runs, saying what to do', async () => {
    const created = await startDetached(s, project, 'Take your time.');
    await s.waitEvent(created.id, (e) => e.kind === 'assistant_delta', 'the slow reply to start');
    const r = await s.cli(['compact', created.id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`session ${created.name} is running a turn`);
    expect(r.stderr).toContain(`sylk cancel ${created.name}`);
    expect((await s.waitState(created.id, ['idle', 'failed'])).state).toBe('idle');
  }, 60_000);

  it('never runs a tool call cut at the output limit, and stops the turn after two such replies', async () => {
    const created = await startDetached(s, project, 'Please write the big file.');
    expect((await s.waitState(created.id, ['idle', 'failed'])).state).toBe('failed');
    expect(existsSync(join(project, 'big.txt'))).toBe(false);
    const events = await s.events(created.id);
    expect(eventsOfKind(events, 'tool_started')).toEqual([]);
    expect(
      eventsOfKind(events, 'notice').filter((n) =>
        String(n.data.message).includes(`hit the output limit (${OUTPUT} tokens) in the middle of a write_file call`),
      ),
    ).toHaveLength(2);
    const error = eventsOfKind(events, 'error').at(-1);
    expect(error?.data).toMatchObject({ code: 'agents.output_limit', tier: 'user_fixable' });
    expect(String(error?.data.hint)).toContain('sessions.max_output_tokens');
    const sent = s.emu.requests().filter((r) => r.stepName === 'cut' || r.stepName === 'cut-again');
    expect(sent.map((r) => r.stepName)).toEqual(['cut', 'cut-again']);
    // The model was told plainly, in the result of the call it sent.
    expect(JSON.stringify((sent[1]?.body as SentBody).messages.at(-1))).toContain(
      'Not run: your reply hit the output token limit (1000 tokens)',
    );
  }, 60_000);
});
