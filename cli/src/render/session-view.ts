import type { Style } from '../output.js';
import { approvalDetailLines, fileChangeLines } from './diff-view.js';
import { keyInShellNote } from './key-hint.js';
import { MarkdownStream, wrap } from './markdown.js';
import { visibleControls } from './markdown-inline.js';
import { ToolOutput } from './tool-output.js';
import { ThinkingView } from './thinking.js';
import { mentionLines } from './mentions.js';

/** One persisted session event as the CLI sees it (data parsed from data_json). */
export interface ViewEvent {
  seq: number;
  ts: number;
  kind: string;
  data: Record<string, unknown>;
}

export interface ViewSink {
  /** Write complete lines (no trailing newline). */
  lines(lines: string[]): void;
  /** Replace the transient status line (spinner/progress); '' clears it. */
  status(text: string): void;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));

/** One line for a `compacted` event: tokens before → after, how many messages, by which model. */
function compactedNotice(d: Record<string, unknown>): string {
  const n = (v: unknown) => num(v).toLocaleString('en-US');
  const how = d.manual === true ? 'compacted on request' : 'compacted (near the context window)';
  return `⇣ conversation ${how}: ~${n(d.tokensBefore)} → ~${n(d.tokensAfter)} tokens, ${n(d.messagesSummarized)} messages summarised by ${str(d.model)}`;
}

const formatSeconds = (ms: number) => (ms >= 60_000 ? `${Math.round(ms / 60_000)}m` : `${Math.round(ms / 1000)}s`);

export function formatUsd(usd: number): string {
  return usd < 0.01 && usd > 0 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/**
 * Renders a session's events for a person: assistant text as Markdown while it
 * streams, tool calls with status, duration and a short summary, approvals, and
 * a spinner line while the model or a tool is working. Pure: it only writes to
 * the sink, so the same view serves live attach, replay and tests.
 */
export interface SessionViewOptions {
  /** The model's thinking in full (dimmed), not one summary line per block. */
  showThinking?: boolean;
  /** The model's text exactly as it arrived: no Markdown rendering (`--raw`). */
  raw?: boolean;
  /** The CLI's own environment: a provider key missing in sylkd but set here is said so. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Every line of command output as it comes (`sylk logs`), not collapsed when the command ends. */
  fullOutput?: boolean;
  /** The key that calls `expandLastOutput` (named in collapsed output), when there is one. */
  expandKey?: string;
}

/** `--raw`: the model's text split into lines, nothing else done to it. */
class RawText {
  private pending = '';
  push(text: string): string[] {
    this.pending += text;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines;
  }
  flush(): string[] {
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? [] : [rest];
  }
}

export class SessionView {
  private md: Pick<MarkdownStream, 'push' | 'flush'>;
  private readonly thinking: ThinkingView;
  private tools = new Map<string, { name: string; summary: string; started: number }>();
  private readonly output: ToolOutput;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private busy: string | undefined;
  private frame = 0;

  constructor(
    private readonly st: Style,
    private readonly sink: ViewSink,
    private readonly width: () => number,
    options: SessionViewOptions = {},
  ) {
    this.md = options.raw === true ? new RawText() : new MarkdownStream(st, width);
    this.thinking = new ThinkingView(st, width, options.showThinking === true);
    this.output = new ToolOutput(st, width, options.fullOutput === true, options.expandKey);
    this.env = options.env ?? {};
  }

  /**
   * The whole output of the last command whose output was collapsed, behind the gutter (empty
   * when there is none): what an "expand" key shows.
   */
  expandLastOutput(): string[] {
    return this.output.expandLast();
  }

  /** Advance the spinner (called on a timer by the attached view). */
  tick(): void {
    if (this.busy === undefined) return;
    this.frame = (this.frame + 1) % SPINNER.length;
    this.sink.status(`${this.st.cyan(SPINNER[this.frame] ?? '')} ${this.st.dim(this.busy)}`);
  }

  private setBusy(text: string | undefined): void {
    this.busy = text;
    if (text === undefined) this.sink.status('');
    else this.tick();
  }

  private out(lines: string[]): void {
    if (lines.length > 0) this.sink.lines(lines);
  }

  onEvent(ev: ViewEvent): void {
    const st = this.st;
    const d = ev.data;
    if (ev.kind !== 'thinking_delta' && this.thinking.active) this.out(this.thinking.end());
    switch (ev.kind) {
      case 'user_input':
        this.out([
          '',
          ...wrap(str(d.text), this.width() - 2).map((l, i) => `${i === 0 ? st.bold('›') : ' '} ${st.bold(l)}`),
          ...mentionLines(d.mentions, st),
          '',
        ]);
        this.setBusy('thinking…');
        break;
      case 'assistant_delta':
        this.out(this.md.push(str(d.text)));
        this.setBusy('writing…');
        break;
      case 'thinking_delta':
        this.out(this.md.flush());
        this.out(this.thinking.push(str(d.text)));
        this.setBusy(this.thinking.status());
        break;
      case 'assistant_message':
        this.out(this.md.flush());
        break;
      case 'tool_started': {
        this.out(this.md.flush());
        const callId = str(d.callId);
        const summary = str(d.summary) || str(d.name);
        this.tools.set(callId, { name: str(d.name), summary, started: ev.ts });
        this.out([`${st.cyan('●')} ${st.bold(str(d.name))} ${st.dim(summary)}`]);
        this.setBusy(`${str(d.name)} ${summary}`.slice(0, Math.max(10, this.width() - 4)));
        break;
      }
      case 'tool_output': {
        // Collected and shown collapsed when the call ends; meanwhile its latest line is the status.
        const line = this.output.add(str(d.callId), str(d.line));
        if (this.output.full) {
          this.out(this.output.lineOf(line));
          break;
        }
        const t = this.tools.get(str(d.callId));
        if (t !== undefined) this.setBusy(`${t.name}: ${line}`.slice(0, Math.max(10, this.width() - 4)));
        break;
      }
      case 'tool_finished': {
        const t = this.tools.get(str(d.callId));
        const ok = d.ok !== false && d.isError !== true;
        const secs = (num(d.durationMs) / 1000).toFixed(1);
        const waited =
          num(d.approvalWaitMs) >= 1000 ? `, ${formatSeconds(num(d.approvalWaitMs))} awaiting approval` : '';
        const mark = ok ? st.green('✓') : st.red('✗');
        this.out([
          `${mark} ${str(d.name) || t?.name || 'tool'} ${st.dim(`(${secs}s${waited})`)}${d.summary ? ` ${st.dim('— ' + visibleControls(str(d.summary)))}` : ''}`,
        ]);
        this.out(this.output.finish(str(d.callId), ok, Array.isArray(d.failures) ? d.failures.map(str) : []));
        this.out(fileChangeLines(d, st, this.width()));
        this.tools.delete(str(d.callId));
        this.setBusy('thinking…');
        break;
      }
      case 'approval_requested':
        this.out(this.md.flush());
        this.setBusy(undefined);
        this.out([
          '',
          `${st.yellow('?')} ${st.bold('Approval needed')} ${st.dim(`[${str(d.approvalId)}]`)} ${str(d.summary)}`,
          ...(d.reason ? [`  ${st.dim(str(d.reason))}`] : []),
          ...approvalDetailLines(str(d.kind), str(d.detail), st).map((l) => `  ${l}`),
          // "Allow always" persists this rule, which can be wider than the one action shown.
          ...(d.proposedRule ? [`  ${st.dim(`allow always adds the rule: ${str(d.proposedRule)}`)}`] : []),
        ]);
        break;
      case 'approval_resolved':
        this.out([
          `${st.dim('  →')} ${str(d.decision).replace(/_/g, ' ')}${d.message ? `: ${str(d.message)}` : ''} ${st.dim(`[${str(d.approvalId)}]`)}`,
        ]);
        break;
      case 'state_changed':
        if (d.to === 'idle' || d.to === 'completed' || d.to === 'failed' || d.to === 'closed' || d.to === 'paused') {
          this.out(this.md.flush());
          this.setBusy(undefined);
        }
        if (d.to === 'paused' || d.to === 'closed' || d.to === 'failed') this.out([st.dim(`— session ${str(d.to)} —`)]);
        break;
      case 'usage': {
        this.out(this.md.flush());
        const u = (d.usage ?? {}) as Record<string, unknown>;
        const cost = typeof d.costUsd === 'number' ? ` · ${formatUsd(d.costUsd)}` : '';
        this.out([st.dim(`  ${num(u.inputTokens)} in / ${num(u.outputTokens)} out tokens${cost}`)]);
        break;
      }
      case 'notice':
        this.out([st.yellow(`! ${str(d.message)}`)]);
        // A request retried after a wait (`llm.retrying`) or waiting for the configured rate limit
        // (`llm.rate_limit_wait`): the spinner says so until output comes.
        if (d.code === 'llm.retrying') this.setBusy('waiting to retry…');
        if (d.code === 'llm.rate_limit_wait') this.setBusy('waiting for the rate limit…');
        break;
      case 'error': {
        this.out(this.md.flush());
        const attempts = num(d.attempts) > 1 ? st.dim(` (${num(d.attempts)} attempts)`) : '';
        const inShell = keyInShellNote({ code: str(d.code), message: str(d.message) }, this.env);
        const message = inShell?.message ?? str(d.message);
        const hint = inShell?.hint ?? str(d.hint);
        this.out([`${st.red(`✗ ${message}`)}${attempts}`, ...(hint ? [`  ${st.dim(`→ ${hint}`)}`] : [])]);
        this.setBusy(undefined);
        break;
      }
      case 'turn_interrupted':
        this.out(this.md.flush());
        this.setBusy(undefined);
        this.out([st.yellow(`⏹ turn interrupted: ${str(d.reason)}`)]);
        break;
      case 'turn_rewound': {
        const kept = Array.isArray(d.kept) ? d.kept.length : 0;
        const what = d.conversationRewound === true ? 'files and conversation' : 'files';
        this.out([
          st.yellow(
            `↶ ${what} back to before turn ${str(d.turn)}: ${str(d.restored)} restored${kept > 0 ? `, ${kept} kept (changed since)` : ''}`,
          ),
        ]);
        break;
      }
      case 'compacted':
        this.out(this.md.flush());
        this.out([st.dim(compactedNotice(d))]);
        break;
      case 'process_exited':
        this.out([st.yellow(`⏹ ${str(d.message)}`)]);
        break;
      default:
        break;
    }
  }
}
