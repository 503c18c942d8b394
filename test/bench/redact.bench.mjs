// Known-secret redaction cost (issue 13, "Secret redaction" in docs/security.md).
// redact_mb_per_s: SecretValues.redact (10 registered values + the credential patterns) over
// compiler-like text with no hit, 64 KiB at a time. capture_ratio: OutputCapture throughput with
// redaction on (lines, onLine consumer, streaming-redacted spool on disk: every session's tool
// output path) over the same without, measured alternately in one run (target >= 0.6: every byte
// is scanned once more, for each value and the patterns; the
// absolute MB/s is the output bench's business). empty_ns_per_call: redact() of a 200-character
// line with nothing registered (every event and log line pays it). log_line_us: one info line with
// four fields through a child of a Sylk logger (createLogger: secret-named fields redacted, text
// scrubbed), to a sink that drops it; pino_line_us the same through a plain pino logger.
import { mkdtempSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { SecretValues, createLogger } from '../../packages/core/dist/index.js';
import { OutputCapture } from '../../packages/tools/dist/index.js';
import { round } from './stats.mjs';
import { compilerOutputChunks } from './lib/compiler-output.mjs';

const TOTAL = 200 * 1024 * 1024;

function registry() {
  const secrets = new SecretValues();
  for (let i = 0; i < 10; i++) secrets.set(`env KEY_${i}`, `sk-test-${i}-${'x'.repeat(40)}${i}`);
  return secrets;
}

async function captureMbPerS(chunks, dir, redact) {
  const capture = new OutputCapture({ id: 'bench', spoolDir: dir, onLine: () => {}, ...(redact ? { redact } : {}) });
  const t = performance.now();
  let fed = 0;
  for (let i = 0; fed < TOTAL / 2; i++) {
    const chunk = chunks[i % chunks.length];
    if (!capture.push(chunk, 'stdout')) await new Promise((resolve) => capture.onDrain(resolve));
    fed += chunk.length;
  }
  await capture.finish();
  return fed / 1e6 / ((performance.now() - t) / 1000);
}

export default async function redactBench() {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-bench-redact-')));
  try {
    const chunks = compilerOutputChunks();
    const texts = chunks.map((c) => c.toString('utf8'));
    const secrets = registry();
    let t = performance.now();
    let fed = 0;
    for (let i = 0; fed < TOTAL; i++) {
      const text = texts[i % texts.length];
      if (secrets.redact(text).length !== text.length) throw new Error('unexpected hit');
      fed += text.length;
    }
    const redactMbPerS = fed / 1e6 / ((performance.now() - t) / 1000);

    // Plain and redacting capture alternate, so a busy machine slows both alike.
    const plain = [];
    const redacting = [];
    for (let round = 0; round < 2; round++) {
      plain.push(await captureMbPerS(chunks, dir, undefined));
      redacting.push(await captureMbPerS(chunks, dir, secrets));
    }
    const plainMbPerS = Math.max(...plain);
    const redactingMbPerS = Math.max(...redacting);

    const empty = new SecretValues();
    const line = 'a log line of about two hundred characters, '.repeat(5);
    const n = 1_000_000;
    t = performance.now();
    for (let i = 0; i < n; i++) empty.redact(line);
    const emptyNs = ((performance.now() - t) * 1e6) / n;

    const sink = () => new Writable({ write: (_chunk, _enc, done) => done() });
    const fields = { sessionId: 'ses_1', agentId: 'agent_1', stopReason: 'end_turn', code: undefined };
    const lineUs = (logger) => {
      const lines = 20_000;
      for (let i = 0; i < lines; i++) logger.info(fields, 'agent turn finished'); // warm-up
      const start = performance.now();
      for (let i = 0; i < lines; i++) logger.info(fields, 'agent turn finished');
      return ((performance.now() - start) * 1000) / lines;
    };
    const logUs = lineUs(createLogger(sink()).child({ component: 'session', sessionId: 'ses_1' }));
    // @sylk/core's own pino (the project lists it there, not at the root).
    const { pino } = createRequire(new URL('../../packages/core/package.json', import.meta.url))('pino');
    const pinoUs = lineUs(pino(sink()).child({ component: 'session', sessionId: 'ses_1' }));

    const ratio = redactingMbPerS / plainMbPerS;
    const metrics = {
      redact_mb_per_s: round(redactMbPerS, 0),
      capture_mb_per_s: round(redactingMbPerS, 0),
      capture_plain_mb_per_s: round(plainMbPerS, 0),
      capture_ratio: round(ratio, 2),
      empty_ns_per_call: round(emptyNs, 0),
      log_line_us: round(logUs, 2),
      pino_line_us: round(pinoUs, 2),
    };
    const targets = { capture_ratio: '>= 0.6', empty_ns_per_call: '<= 1000' };
    return {
      summary:
        `redact (10 values + patterns, no hit) ${metrics.redact_mb_per_s} MB/s; OutputCapture ${metrics.capture_mb_per_s} MB/s with redaction vs ` +
        `${metrics.capture_plain_mb_per_s} MB/s without (ratio ${metrics.capture_ratio}); ` +
        `${metrics.empty_ns_per_call} ns per 200-char line with nothing registered; a log line ${metrics.log_line_us} µs ` +
        `(plain pino ${metrics.pino_line_us} µs)`,
      metrics,
      targets,
      met: ratio >= 0.6 && emptyNs <= 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
