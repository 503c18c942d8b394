/**
 * sylkd entry point. Start-up runs with V8's `--optimize-for-size`: the code that runs once
 * compiles compactly and the young generation stays small, which keeps the idle daemon's
 * resident memory low (docs/benchmarks.md). Once serving, the flag goes off again: under it
 * the hot paths (stream parsing, event log, relay) ran at less than half the speed.
 * What the busy paths grow afterwards, the idle memory trim gives back (memory-trim.ts).
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--optimize-for-size');
// run.js resolves once the daemon serves (or after a short command such as --version).
await import('./run.js');
setFlagsFromString('--no-optimize-for-size');
