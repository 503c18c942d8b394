import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { style } from '../output.js';
import { MarkdownStream, visibleLength, wrap } from './markdown.js';
import { SessionView, formatUsd, type ViewEvent } from './session-view.js';
import { select, readLine } from './select.js';
import { splitKeys } from './keys.js';

const plain = style(false);

describe('markdown stream', () => {
  it('renders complete lines as they arrive and keeps the rest for later', () => {
    const md = new MarkdownStream(plain, () => 80);
    expect(md.push('# Tit')).toEqual([]);
    expect(md.push('le\n- one\n- two')).toEqual(['Title', '• one']);
    expect(md.flush()).toEqual(['• two']);
  });

  it('fences code blocks across deltas and leaves their content alone', () => {
    const md = new MarkdownStream(plain, () => 80);
    const lines = [...md.push('```ts\nconst x = **1**;\n'), ...md.push('```\nafter `code`\n')];
    expect(lines).toEqual(['┌─ ts ', '│ const x = **1**;', '└─', 'after code']);
  });

  it('wraps to the width, counting visible characters only', () => {
    const coloured = style(true);
    const out = wrap(`${coloured.bold('word')} `.repeat(30), 40);
    expect(out.length).toBeGreaterThan(2);
    for (const line of out) expect(visibleLength(line)).toBeLessThanOrEqual(40);
  });
});

describe('session view', () => {
  function render(events: Omit<ViewEvent, 'seq' | 'ts'>[]) {
    const lines: string[] = [];
    const status: string[] = [];
    const view = new SessionView(plain, { lines: (l) => lines.push(...l), status: (s) => status.push(s) }, () => 80);
    events.forEach((e, i) => view.onEvent({ seq: i + 1, ts: 1000 * i, ...e }));
    return { lines, status };
  }

  it('shows a retry while the user waits, and an error once with its attempts and hint', () => {
    const { lines, status } = render([
      { kind: 'user_input', data: { text: 'go' } },
      {
        kind: 'notice',
        data: {
          code: 'llm.retrying',
          message: 'anthropic rate limited the request; retrying in 12 s (retry 1 of 10)',
          delayMs: 12_000,
        },
      },
      {
        kind: 'error',
        data: {
          code: 'llm.auth_failed',
          message: 'anthropic rejected the API key from keychain (HTTP 401 authentication_error): invalid x-api-key',
          hint: 'Check or replace the key: sylk auth login anthropic',
          attempts: 2,
          tier: 'user_fixable',
        },
      },
    ]);
    expect(lines.slice(3)).toEqual([
      '! anthropic rate limited the request; retrying in 12 s (retry 1 of 10)',
      '✗ anthropic rejected the API key from keychain (HTTP 401 authentication_error): invalid x-api-key (2 attempts)',
      '  → Check or replace the key: sylk auth login anthropic',
    ]);
    expect(status.some((line) => line.endsWith(' waiting to retry…'))).toBe(true);
    expect(status.at(-1)).toBe('');
  });

  it('shows a wait for the configured rate limit, the spinner saying so until output comes', () => {
    const message =
      'waiting 42 s for the anthropic limit of 2 requests per minute (llm.providers.anthropic.rate_limits)';
    const { lines, status } = render([
      { kind: 'user_input', data: { text: 'go' } },
      { kind: 'notice', data: { code: 'llm.rate_limit_wait', message, delayMs: 42_000 } },
    ]);
    expect(lines.at(-1)).toBe(`! ${message}`);
    expect(status.at(-1)?.endsWith(' waiting for the rate limit…')).toBe(true);
  });

  it('shows a whole turn: input, streamed text, a tool call with duration and summary, usage', () => {
    const { lines, status } = render([
      { kind: 'user_input', data: { text: 'fix the test' } },
      { kind: 'assistant_delta', data: { text: 'Running the **tests**' } },
      { kind: 'assistant_delta', data: { text: ' now.\n' } },
      { kind: 'tool_started', data: { callId: 'c1', name: 'run_command', summary: 'npm test' } },
      { kind: 'tool_output', data: { callId: 'c1', line: 'FAIL add.test.js' } },
      {
        kind: 'tool_finished',
        data: { callId: 'c1', name: 'run_command', ok: false, durationMs: 1500, summary: '1 failed' },
      },
      { kind: 'usage', data: { usage: { inputTokens: 120, outputTokens: 30 }, costUsd: 0.0012 } },
      { kind: 'state_changed', data: { from: 'running', to: 'idle' } },
    ]);
    expect(lines).toEqual([
      '',
      '› fix the test',
      '',
      'Running the tests now.',
      '● run_command npm test',
      // Output is shown when the call ends, below its result line.
      '✗ run_command (1.5s) — 1 failed',
      '  │ FAIL add.test.js',
      '  120 in / 30 out tokens · $0.0012',
    ]);
    expect(status.at(-1)).toBe('');
  });

  it('shows approvals with the exact command and their resolution', () => {
    const { lines } = render([
      {
        kind: 'approval_requested',
        data: { approvalId: 'ap_1', summary: 'run a command', detail: 'npm test', reason: 'not in the allowlist' },
      },
      {
        kind: 'approval_resolved',
        data: { approvalId: 'ap_1', decision: 'deny_with_message', message: 'use node --test' },
      },
    ]);
    expect(lines).toContain('? Approval needed [ap_1] run a command');
    expect(lines).toContain('  npm test');
    expect(lines.at(-1)).toBe('  → deny with message: use node --test [ap_1]');
  });

  it('formats money like the usage report', () => {
    expect(formatUsd(1.234)).toBe('$1.23');
    expect(formatUsd(0.0042)).toBe('$0.0042');
    expect(formatUsd(0)).toBe('$0.00');
  });
});

describe('selection prompt', () => {
  const choices = [
    { key: 'a', label: 'allow once', value: 'once' },
    { key: 's', label: 'allow for this session', value: 'session' },
    { key: 'd', label: 'deny', value: 'deny' },
  ];
  function keys() {
    const input = new EventEmitter();
    const written: string[] = [];
    return {
      input: input as unknown as Parameters<typeof select>[0],
      emit: (k: string) => input.emit('data', Buffer.from(k)),
      output: { write: (t: string) => written.push(t) },
      written,
    };
  }

  it('picks by arrow keys and Enter', async () => {
    const k = keys();
    const p = select(k.input, k.output, plain, 'Allow?', choices);
    k.emit('\u001b[B');
    k.emit('\u001b[B');
    k.emit('\r');
    expect(await p).toBe('deny');
  });

  it('picks by letter, and gives up on Esc', async () => {
    const k = keys();
    const p = select(k.input, k.output, plain, 'Allow?', choices);
    k.emit('s');
    expect(await p).toBe('session');
    const k2 = keys();
    const q = select(k2.input, k2.output, plain, 'Allow?', choices);
    k2.emit('\u001b');
    expect(await q).toBeUndefined();
  });

  it('reads a line with backspace', async () => {
    const k = keys();
    const p = readLine(k.input, k.output, 'message: ');
    k.emit('usx');
    k.emit('\u007f');
    k.emit('e node\r');
    expect(await p).toBe('use node');
  });

  it('takes several keys from one read (a loaded machine or key repeat batches them)', async () => {
    const k = keys();
    const p = select(k.input, k.output, plain, 'Allow?', choices);
    k.emit('\u001b[B\u001b[B');
    k.emit('\u001b[A\r');
    expect(await p).toBe('session');
    const k2 = keys();
    const q = select(k2.input, k2.output, plain, 'Allow?', choices);
    k2.emit('\u001bOB\u001bOB\r'); // application cursor mode
    expect(await q).toBe('deny');
  });

  it('ignores arrow keys while reading a line instead of giving up or typing "[A"', async () => {
    const k = keys();
    const p = readLine(k.input, k.output, 'message: ');
    k.emit('no\u001b[A\u001b[D');
    k.emit('pe\r');
    expect(await p).toBe('nope');
  });
});

describe('key splitting', () => {
  it('keeps escape sequences whole and splits everything else by code point', () => {
    expect(splitKeys('\u001b[B\u001b[Bx')).toEqual(['\u001b[B', '\u001b[B', 'x']);
    expect(splitKeys('\u001b[1;5C\u001bOA')).toEqual(['\u001b[1;5C', '\u001bOA']);
    expect(splitKeys('\u001b')).toEqual(['\u001b']);
    expect(splitKeys('\u001b\u001b[A')).toEqual(['\u001b', '\u001b[A']);
    expect(splitKeys('\u001bb')).toEqual(['\u001bb']); // Alt+b
    expect(splitKeys('a😀\r')).toEqual(['a', '😀', '\r']);
    expect(splitKeys('\u001b[')).toEqual(['\u001b[']); // truncated: one unknown key, never a crash
  });
});
