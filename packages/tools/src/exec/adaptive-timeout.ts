import type { Clock } from '@sylk/core';
import type { LineObserver } from '../output/capture.js';

export interface TimeoutPolicy {
  /** Default time budget (120 s); a call may ask for more, up to the ceiling. */
  baseMs: number;
  /** How long each meaningful line keeps the command alive past the base (30 s). */
  extendMs: number;
  /** Hard cap (30 min). */
  ceilingMs: number;
  /** Lines matching any of these never extend the timeout. */
  noisePatterns: RegExp[];
}

/** @internal exported for tests */
export function defaultNoisePatterns(): RegExp[] {
  return [
    /^\s*$/, // blank
    /^[\s.·•]+$/, // dots
    /^[\s|/\\\-⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏⣾⣽⣻⢿⡿⣟⣯⣷◐◓◑◒◴◷◶◵]+$/, // spinner glyphs
    /^[\s[\]=#>.-]*\d{1,3}(?:\.\d+)?\s*%[\s\]]*$/, // bare percentages / bars ending in one
    /\r/, // carriage-return redraws
  ];
}

export function defaultTimeoutPolicy(): TimeoutPolicy {
  return { baseMs: 120_000, extendMs: 30_000, ceilingMs: 1_800_000, noisePatterns: defaultNoisePatterns() };
}

/** @internal exported for tests */
export function isNoise(line: string, patterns: readonly RegExp[]): boolean {
  return patterns.some((re) => re.test(line));
}

/**
 * When the command times out: at the base budget, or later while meaningful output keeps
 * coming (each meaningful line buys `extendMs`), never past the ceiling. Times are monotonic ms.
 * @internal exported for tests
 */
export function timeoutDeadline(
  startedAt: number,
  lastMeaningfulAt: number,
  policy: Pick<TimeoutPolicy, 'baseMs' | 'extendMs' | 'ceilingMs'>,
): number {
  return Math.min(
    startedAt + policy.ceilingMs,
    Math.max(startedAt + policy.baseMs, lastMeaningfulAt + policy.extendMs),
  );
}

export interface TimeoutInfo {
  elapsedMs: number;
  /** 'ceiling' when the hard cap was hit, else 'idle' (no meaningful output for extendMs). */
  cause: 'idle' | 'ceiling';
  silentMs: number;
}

/** Watches a command's lines and fires once when its adaptive deadline passes. */
export class AdaptiveTimeout implements LineObserver {
  private startedAt: number;
  private lastMeaningfulAt: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly policy: TimeoutPolicy;
  /** Re-checking noise more often than this is pointless (the deadline moves by less). */
  private readonly resolutionMs: number;

  constructor(
    policy: TimeoutPolicy,
    private readonly clock: Clock,
    requestedMs?: number,
  ) {
    const baseMs = Math.max(1, Math.min(requestedMs ?? policy.baseMs, policy.ceilingMs));
    this.policy = { ...policy, baseMs };
    this.startedAt = clock.monotonic();
    this.lastMeaningfulAt = this.startedAt;
    this.resolutionMs = Math.min(250, policy.extendMs / 20);
  }

  get baseMs(): number {
    return this.policy.baseMs;
  }

  start(onFire: (info: TimeoutInfo) => void): void {
    const check = () => {
      if (this.stopped) return;
      const now = this.clock.monotonic();
      const deadline = this.deadline();
      if (now >= deadline) {
        this.stopped = true;
        const elapsedMs = now - this.startedAt;
        onFire({
          elapsedMs,
          cause: elapsedMs >= this.policy.ceilingMs ? 'ceiling' : 'idle',
          silentMs: now - this.lastMeaningfulAt,
        });
        return;
      }
      this.timer = setTimeout(check, Math.max(1, deadline - now));
    };
    this.timer = setTimeout(check, this.policy.baseMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  /** The command was stopped (SIGSTOP) this long: none of it counts against its time. */
  excuse(ms: number): void {
    this.startedAt += ms;
    this.lastMeaningfulAt += ms;
  }

  deadline(): number {
    return timeoutDeadline(this.startedAt, this.lastMeaningfulAt, this.policy);
  }

  wantsBlock(): boolean {
    return !this.stopped && this.clock.monotonic() - this.lastMeaningfulAt >= this.resolutionMs;
  }

  line(text: string): boolean {
    if (isNoise(text, this.policy.noisePatterns)) return false;
    this.lastMeaningfulAt = this.clock.monotonic();
    return true;
  }
}
