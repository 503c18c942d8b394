import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sandbox, testExecutor, type Sandbox } from '../exec/test-support.js';
import { truncateForModel } from './truncate.js';

/** Peak RSS growth (MB) while `work` runs: a correctness bound on memory, not a speed assertion. */
async function rssGrowthDuring<T>(work: () => Promise<T>): Promise<{ value: T; growthMb: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, growthMb: (peak - before) / 1e6 };
  } finally {
    clearInterval(sampler);
  }
}

describe('large output', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
  });
  afterEach(() => box.dispose());

  it('streams 100 MB of lines with flat memory and spools all of it', async () => {
    let streamed = 0;
    const { value: result, growthMb } = await rssGrowthDuring(() =>
      testExecutor(box).run(
        `yes 'lorem ipsum dolor sit amet, consectetur adipiscing elit 0123456789' | head -c 100000000`,
        {
          cwd: box.project,
          onLine: () => streamed++,
        },
      ),
    );
    expect(result.exitCode).toBe(0);
    expect(result.output.totalBytes).toBe(100_000_000);
    expect(statSync(result.output.rawPath as string).size).toBe(100_000_000);
    expect(streamed).toBe(result.output.totalLines);
    expect(result.output.totalLines).toBe(Math.ceil(100_000_000 / 67)); // 66 characters + newline
    expect(growthMb).toBeLessThan(60);
    const view = truncateForModel(result.output);
    expect(view.shownLines).toBe(150);
    expect(view.text.length).toBeLessThan(20_000);
  });

  it('survives one endless 50 MB line with flat memory', async () => {
    const { value: result, growthMb } = await rssGrowthDuring(() =>
      testExecutor(box).run(`head -c 50000000 /dev/zero | tr '\\0' a`, { cwd: box.project }),
    );
    expect(result.output).toMatchObject({ totalLines: 1, longLinesCut: 1, rawBytes: 50_000_000 });
    expect(result.output.head[0]?.text.length).toBeLessThan(70_000);
    expect(growthMb).toBeLessThan(60);
  });
});
