import { setFlagsFromString } from 'node:v8';

/**
 * sylkd starts up under V8's `--optimize-for-size`: the code that runs once compiles compactly
 * and the young generation stays small, which keeps the idle daemon's resident memory low
 * (`npm run bench -- daemon-idle`). Under it the hot paths (stream parsing, event log, relay)
 * run much slower, so it goes off once sylkd serves.
 */
export function startCompact(): void {
  setFlagsFromString('--optimize-for-size');
}

/**
 * Ends {@link startCompact}. The flag also sets `--max-semi-space-size=1` (an implication in V8's
 * flag definitions) and turning it off leaves that behind. Every isolate created later (the
 * checkpoint and integrity-check workers) then got a 1 MB young generation whatever its resource
 * limits said: a scavenge every few hundred KB allocated, each promoting what was in flight. So the
 * value sylkd was started with comes back (0: none, each isolate's limits decide).
 * `nodeFlags`: the command line's Node/V8 flags (execArgv, then NODE_OPTIONS).
 */
export function endCompact(nodeFlags: readonly string[]): void {
  setFlagsFromString('--no-optimize-for-size');
  let semiSpace = '0';
  for (const flag of nodeFlags) semiSpace = /^--max[-_]semi[-_]space[-_]size=(\d+)$/.exec(flag)?.[1] ?? semiSpace;
  setFlagsFromString(`--max-semi-space-size=${semiSpace}`);
}
