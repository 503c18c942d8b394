import { describe, expect, it } from 'vitest';
import type { LLMRequest, Message } from '../types.js';
import { SUMMARY_ACKNOWLEDGED, fitContext, messageUnits } from './context.js';

/** 1 token per 4 characters of system prompt, content and tool arguments, plus 2 per message. */
function estimate(r: LLMRequest): number {
  let chars = (r.systemPrompt ?? '').length;
  for (const m of r.messages)
    chars += m.content.length + (m.toolCalls ?? []).reduce((n, c) => n + JSON.stringify(c.arguments).length, 0);
  return Math.ceil(chars / 4) + 2 * r.messages.length;
}

const text = (n: number) => 'w'.repeat(n * 4); // n tokens
const user = (n: number, tag = ''): Message => ({ role: 'user', content: tag + text(n).slice(tag.length) });
const assistant = (n: number): Message => ({ role: 'assistant', content: text(n) });
const toolTurn = (id: string, n: number): Message[] => [
  {
    role: 'assistant',
    content: '',
    toolCalls: [
      { id: `${id}a`, name: 'read', arguments: {} },
      { id: `${id}b`, name: 'grep', arguments: {} },
    ],
  },
  { role: 'tool', toolCallId: `${id}a`, content: text(n) },
  { role: 'tool', toolCallId: `${id}b`, content: text(n) },
];

function request(messages: Message[]): LLMRequest {
  return { model: 'm', systemPrompt: text(50), messages, maxTokens: 100 };
}

describe('fitContext', () => {
  it('returns a request that fits unchanged, without summarizing', async () => {
    const r = request([user(10), assistant(10)]);
    let called = false;
    const out = await fitContext(r, {
      contextWindow: 1_000,
      estimateTokens: estimate,
      summarize: async () => ((called = true), ''),
    });
    expect(out).toBe(r);
    expect(called).toBe(false);
  });

  it('summarizes older messages into one marked message and keeps tool calls with their results', async () => {
    const history: Message[] = [
      user(100, 'first'),
      assistant(100),
      ...toolTurn('t1', 80),
      assistant(50),
      user(40, 'second'),
      ...toolTurn('t2', 60),
      assistant(20),
    ];
    const r = request(history);
    let summarized: Message[] = [];
    const out = await fitContext(r, {
      contextWindow: 700,
      estimateTokens: estimate,
      summarize: async (ms) => {
        summarized = ms;
        return 'they talked';
      },
    });
    expect(estimate(out)).toBeLessThanOrEqual(600);
    expect(out.systemPrompt).toBe(r.systemPrompt);
    const [summary, ...rest] = out.messages;
    expect(summary).toEqual({
      role: 'user',
      content: `[Context summary of ${summarized.length} earlier messages] they talked`,
      summaryOf: summarized.length,
    });
    expect([...summarized, ...rest]).toEqual(history); // order kept, nothing lost or duplicated
    // Never split a tool-call message from its results, on either side of the cut.
    for (const list of [summarized, rest]) {
      for (const [i, m] of list.entries()) {
        if (m.role === 'tool')
          expect(list.slice(0, i).some((p) => p.toolCalls?.some((c) => c.id === m.toolCallId))).toBe(true);
        if (m.toolCalls)
          expect(list.filter((p) => p.role === 'tool' && m.toolCalls?.some((c) => c.id === p.toolCallId))).toHaveLength(
            m.toolCalls.length,
          );
      }
    }
    expect(summarized.map((m) => m.role)).toEqual(['user', 'assistant']); // only what did not fit
    expect(rest.slice(-5)).toEqual(history.slice(-5)); // the newest turn is intact
  });

  it('counts messages inside an earlier summary', async () => {
    const prior: Message = { role: 'user', content: '[Context summary of 7 earlier messages] old', summaryOf: 7 };
    const out = await fitContext(request([prior, assistant(200), user(200), assistant(200), user(20, 'now')]), {
      contextWindow: 500,
      estimateTokens: estimate,
      summarize: async () => 'sum',
    });
    // prior summary (7) + assistant + user were evicted; the newest assistant still fits.
    expect(out.messages[0]?.summaryOf).toBe(7 + 1 + 1);
    expect(out.messages).toHaveLength(3);
    expect(out.messages.at(-1)?.content.startsWith('now')).toBe(true);
  });

  it('fails with llm.context_overflow when the system prompt and newest turn cannot fit', async () => {
    const r = request([user(10), assistant(10), user(500, 'huge')]);
    await expect(
      fitContext(r, { contextWindow: 400, estimateTokens: estimate, summarize: async () => '' }),
    ).rejects.toMatchObject({
      code: 'llm.context_overflow',
      message: expect.stringContaining('only 300 of the 400-token window'),
    });
  });

  it('keeps only the newest unit verbatim on request, with at least keepRecentMessages whole units', async () => {
    const history: Message[] = [
      user(40, 'task'),
      ...toolTurn('t1', 30),
      ...toolTurn('t2', 30),
      ...toolTurn('t3', 30),
      assistant(10),
    ];
    let budget = 0;
    const out = await fitContext(request(history), {
      contextWindow: 2_000,
      estimateTokens: estimate,
      keep: 'newest_unit',
      keepRecentMessages: 2,
      force: true,
      summarize: async (_ms, summaryTokens) => ((budget = summaryTokens), 'sum'),
    });
    // The newest unit (1 message) is under 2: t3's whole unit (3 messages) joins it, never a part.
    expect(out.messages.slice(1)).toEqual(history.slice(-4));
    expect(out.messages[0]?.summaryOf).toBe(history.length - 4);
    expect(budget).toBeGreaterThan(0);
  });

  it('fills only up to target, and summarizes when forced although the request fits', async () => {
    const history: Message[] = [
      user(50, 'a'),
      assistant(50),
      user(50, 'b'),
      assistant(50),
      user(50, 'c'),
      assistant(50),
    ];
    const forced = await fitContext(request(history), {
      contextWindow: 10_000,
      estimateTokens: estimate,
      keep: 'newest_unit',
      target: 250,
      summaryTokens: 20,
      force: true,
      summarize: async () => 's',
    });
    expect(forced.messages.slice(1)).toEqual(history.slice(-3)); // 50 system + 20 summary + 3 × 52 fit 250
    // Two fit 200, and the kept part opens with a user message: the summary is answered first.
    const tighter = await fitContext(request(history), {
      contextWindow: 10_000,
      estimateTokens: estimate,
      keep: 'newest_unit',
      target: 200,
      summaryTokens: 20,
      force: true,
      summarize: async () => 's',
    });
    expect(tighter.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(tighter.messages[1]).toEqual({ role: 'assistant', content: SUMMARY_ACKNOWLEDGED });
    expect(tighter.messages.slice(2)).toEqual(history.slice(-2));
    const untouched = await fitContext(request(history), {
      contextWindow: 10_000,
      estimateTokens: estimate,
      keep: 'newest_unit',
      target: 250,
      summarize: async () => 's',
    });
    expect(untouched.messages).toEqual(history);
  });

  it('reports the newest message, not turn, when only it must fit', async () => {
    const r = request([user(10), assistant(10), user(500, 'huge')]);
    await expect(
      fitContext(r, { contextWindow: 400, keep: 'newest_unit', estimateTokens: estimate, summarize: async () => '' }),
    ).rejects.toMatchObject({
      code: 'llm.context_overflow',
      message: expect.stringContaining('newest message need'),
    });
  });

  it('groups units without absorbing unrelated tool messages', () => {
    const units = messageUnits([
      user(1),
      ...toolTurn('x', 1),
      { role: 'tool', toolCallId: 'other', content: '' },
      assistant(1),
    ]);
    expect(units.map((u) => u.length)).toEqual([1, 3, 1, 1]);
  });
});
