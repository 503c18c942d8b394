import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '@sylk/llm';
import { SUMMARY_ACKNOWLEDGED } from '@sylk/llm/gate';
import { compactHistory } from './compaction.js';
import { TokenCounter, roughTokens } from './context-tokens.js';
import { SUMMARY_REQUEST } from './summarize.js';
import { agentHarness, eventsOf, MODEL, type Harness } from './testing/harness.js';

/** ~200 tokens a read. */
const NOTES = Array.from({ length: 20 }, (_, i) => `note ${i}: the quick brown fox jumps over the lazy dog`).join('\n');

interface SentRequest {
  system?: unknown;
  tools?: unknown[];
  max_tokens: number;
  messages: Array<{
    role: string;
    content: string | Array<{ type: string; id?: string; tool_use_id?: string; text?: string; content?: string }>;
  }>;
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const bodies = (hh: Harness) => hh.requests().map((r) => r.body as SentRequest);
const isSummaryRequest = (b: SentRequest) => JSON.stringify(b.messages.at(-1)?.content).includes(SUMMARY_REQUEST);

/** Every tool_result in a request answers a tool_use of the assistant message just before it. */
function expectPairedToolResults(b: SentRequest): void {
  b.messages.forEach((m, i) => {
    if (!Array.isArray(m.content)) return;
    const results = m.content.filter((c) => c.type === 'tool_result').map((c) => c.tool_use_id);
    if (results.length === 0) return;
    const prev = b.messages[i - 1];
    const uses = Array.isArray(prev?.content) ? prev.content.filter((c) => c.type === 'tool_use').map((c) => c.id) : [];
    expect(uses).toEqual(results);
  });
}

describe('compaction in the agent loop', () => {
  it('summarises older messages before a request that would pass the threshold, keeping tool calls with their results', async () => {
    h = await agentHarness({ scenario: 'compaction.yaml', files: { 'notes.txt': `${NOTES}\n` } });
    Object.assign(h.ctx, {
      contextWindow: 4_000,
      maxTokens: 1_000,
      compaction: { enabled: true, threshold: 0.85, keepRecentMessages: 4 },
    });
    const result = await h.run('Read notes.txt twelve times.');

    expect(result.stopReason).toBe('end_turn');
    expect(h.ctx.history.at(-1)?.content).toBe('Done reading.');
    const compacted = eventsOf(h.events, 'compacted');
    expect(compacted.length).toBeGreaterThanOrEqual(2);
    for (const c of compacted) {
      expect(c).toMatchObject({ manual: false, model: MODEL, contextWindow: 4_000 });
      expect(c.tokensAfter).toBeLessThan(c.tokensBefore);
      expect(c.messagesSummarized).toBeGreaterThan(0);
    }
    const all = bodies(h);
    const summaries = all.filter(isSummaryRequest);
    const main = all.filter((b) => !isSummaryRequest(b));
    expect(summaries).toHaveLength(compacted.length);
    expect(main).toHaveLength(13); // 12 reads and the answer: compaction costs no round-trip
    // The summariser gets a transcript (tools quoted, none offered) and a bounded reply.
    const first = summaries[0] as SentRequest;
    expect(first.tools).toBeUndefined();
    expect(first.max_tokens).toBeGreaterThanOrEqual(256);
    expect(JSON.stringify(first.messages)).toContain('Read notes.txt twelve times.');
    expect(JSON.stringify(first.messages)).toContain('→ read_file {\\"path\\":\\"notes.txt\\"}');
    expect(JSON.stringify(first.messages)).toContain('note 19: the quick brown fox');
    // A later summary carries the earlier one.
    expect(JSON.stringify(summaries[1]?.messages)).toContain('SUMMARY: the user asked');
    for (const b of main) {
      expectPairedToolResults(b);
      expect(b.max_tokens).toBeLessThanOrEqual(1_000);
      // What was sent fits the window (the same estimate the loop uses).
      const tokens = Math.ceil(JSON.stringify([b.system, b.tools, b.messages]).length / 4);
      expect(tokens).toBeLessThan(4_000 + 500);
    }
    // The history now opens with the summary; roles alternate; the newest work is verbatim.
    const [summary, ...rest] = h.ctx.history;
    expect(summary?.summaryOf).toBeGreaterThan(0);
    expect(summary?.content).toMatch(/^\[Context summary of \d+ earlier messages\] SUMMARY: the user asked/);
    const roles = [summary, ...rest].map((m) => (m?.role === 'tool' ? 'user' : m?.role));
    for (let i = 1; i < roles.length; i++)
      if (roles[i] === 'user' && roles[i - 1] === 'user') expect(h.ctx.history[i]?.role).toBe('tool');
    // The summariser's usage is reported like any other.
    expect(eventsOf(h.events, 'usage')).toHaveLength(all.length);
  });

  it('refuses a single message larger than the window with a clear error, and does not keep it', async () => {
    h = await agentHarness({ scenario: 'compaction.yaml' });
    Object.assign(h.ctx, {
      contextWindow: 4_000,
      maxTokens: 1_000,
      compaction: { enabled: true, threshold: 0.85, keepRecentMessages: 4 },
    });
    h.ctx.history.push({ role: 'user', content: 'earlier question' }, { role: 'assistant', content: 'earlier answer' });
    const result = await h.run(`Please look at this: ${'x'.repeat(40_000)}`);

    expect(result.stopReason).toBe('error');
    expect(result.error).toMatchObject({ code: 'agents.context_overflow', tier: 'user_fixable' });
    expect(result.error?.message).toMatch(/your message is ~\d+ tokens more than the 4000-token context window/);
    expect(result.error?.hint).toContain('send a shorter message');
    expect(h.requests()).toHaveLength(0); // nothing was sent, nothing retried
    expect(h.ctx.history).toEqual([
      { role: 'user', content: 'earlier question' },
      { role: 'assistant', content: 'earlier answer' },
    ]);
    expect(eventsOf(h.events, 'error')[0]?.code).toBe('agents.context_overflow');
  });

  it('blames the window, not the message, when the system prompt and tools alone do not fit', async () => {
    h = await agentHarness({ scenario: 'compaction.yaml' });
    Object.assign(h.ctx, {
      contextWindow: 1_200,
      maxTokens: 1_000,
      compaction: { enabled: true, threshold: 0.85, keepRecentMessages: 4 },
    });
    const result = await h.run('Hi.');
    expect(result.error).toMatchObject({ code: 'agents.context_overflow', tier: 'user_fixable' });
    expect(result.error?.message).toMatch(
      /^the system prompt and tools alone are ~\d+ tokens, more than the 1200-token context window/,
    );
    expect(result.error?.hint).toContain(`llm.providers.anthropic.models.${MODEL}.context_window`);
    expect(h.ctx.history[0]).toEqual({ role: 'user', content: 'Hi.' }); // the message was fine: kept
    expect(h.requests()).toHaveLength(0);
  });

  it('compacts once and sends the request again when the provider finds the prompt too long', async () => {
    h = await agentHarness({ scenario: 'prompt-too-long.yaml' });
    Object.assign(h.ctx, {
      contextWindow: 4_000,
      maxTokens: 500,
      compaction: { enabled: true, threshold: 0.85, keepRecentMessages: 2 },
    });
    for (let i = 0; i < 6; i++)
      h.ctx.history.push(
        { role: 'user', content: `question ${i} ${'q'.repeat(300)}` },
        { role: 'assistant', content: `answer ${i}` },
      );
    const result = await h.run('One more question.');

    expect(result.stopReason).toBe('end_turn');
    expect(h.requests().map((r) => r.stepName)).toEqual(['too-long', 'summary', 'answer']);
    expect(eventsOf(h.events, 'compacted')).toHaveLength(1);
    expect(h.ctx.history.at(-1)?.content).toBe('Answered.');
    expect(h.ctx.history[0]?.content).toContain('SUMMARY: earlier questions were answered.');
  });

  it('says how to compact when automatic compaction is off and the conversation no longer fits', async () => {
    h = await agentHarness({ scenario: 'compaction.yaml' });
    Object.assign(h.ctx, {
      contextWindow: 4_000,
      maxTokens: 500,
      compaction: { enabled: false, threshold: 0.85, keepRecentMessages: 2 },
    });
    for (let i = 0; i < 6; i++)
      h.ctx.history.push({ role: 'user', content: 'q'.repeat(2_000) }, { role: 'assistant', content: 'a' });
    const result = await h.run('And now?');
    expect(result.error).toMatchObject({ code: 'agents.context_overflow' });
    expect(result.error?.hint).toContain('sessions.compaction.enabled');
    expect(h.requests()).toHaveLength(0);
  });

  it('compacts on request outside a turn, keeping the latest messages and answering a kept user message', async () => {
    h = await agentHarness({ scenario: 'compaction.yaml' });
    Object.assign(h.ctx, {
      contextWindow: 100_000,
      maxTokens: 1_000,
      compaction: { enabled: true, threshold: 0.85, keepRecentMessages: 2 },
    });
    const old: Message[] = [];
    for (let i = 0; i < 5; i++)
      old.push({ role: 'user', content: `question ${i}` }, { role: 'assistant', content: `answer ${i}` });
    h.ctx.history.push(...old);
    const stats = await compactHistory(h.ctx, { signal: new AbortController().signal, manual: true });

    expect(stats).toMatchObject({ manual: true, messagesSummarized: 8, model: MODEL });
    expect(h.ctx.history[0]?.content).toMatch(/^\[Context summary of 8 earlier messages\] SUMMARY/);
    // The kept part opens with a user message: the summary is answered, so roles alternate.
    expect(h.ctx.history[1]).toEqual({ role: 'assistant', content: SUMMARY_ACKNOWLEDGED });
    expect(h.ctx.history.slice(2)).toEqual(old.slice(8));
    expect(eventsOf(h.events, 'compacted')).toEqual([expect.objectContaining({ manual: true, messagesSummarized: 8 })]);
    expect(h.requests()).toHaveLength(1);
    // Nothing older than the messages kept: no model call, nothing changes.
    h.ctx.history.splice(0, 2);
    expect(await compactHistory(h.ctx, { signal: new AbortController().signal, manual: true })).toBeUndefined();
    expect(h.ctx.history).toEqual(old.slice(8));
    expect(h.requests()).toHaveLength(1);
  });
});

describe('the summary model', () => {
  it('is sessions.compaction.model when set, through the same gate', async () => {
    h = await agentHarness({ scenario: 'compaction.yaml' });
    Object.assign(h.ctx, {
      contextWindow: 100_000,
      maxTokens: 1_000,
      compaction: {
        enabled: true,
        threshold: 0.85,
        keepRecentMessages: 2,
        model: 'claude-haiku-4-5-20251001',
        modelContextWindow: 200_000,
      },
    });
    for (let i = 0; i < 3; i++)
      h.ctx.history.push({ role: 'user', content: `question ${i}` }, { role: 'assistant', content: `answer ${i}` });
    const stats = await compactHistory(h.ctx, { signal: new AbortController().signal, manual: true });
    expect(stats?.model).toBe('claude-haiku-4-5-20251001');
    expect(h.requests().map((r) => (r.body as { model: string }).model)).toEqual(['claude-haiku-4-5-20251001']);
    expect(eventsOf(h.events, 'usage')).toHaveLength(1);
  });
});

describe('TokenCounter', () => {
  it('estimates each message once, and again only for another model', () => {
    let calls = 0;
    const counter = new TokenCounter((r) => (calls++, roughTokens(r)));
    const history: Message[] = Array.from({ length: 500 }, (_, i) => ({
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: `message ${i} `.repeat(20),
    }));
    const total = counter.messages('m', history);
    const afterFirst = calls;
    expect(counter.messages('m', history)).toBe(total);
    expect(calls).toBe(afterFirst);
    expect(total + counter.fixed('m', 'system', undefined)).toBe(
      roughTokens({ model: 'm', messages: history, systemPrompt: 'system' }),
    );
    counter.messages('other', history);
    expect(calls).toBeGreaterThan(afterFirst + 499);
  });
});
