import { silentLogger } from '@sylk/core';
import { describe, expect, it } from 'vitest';
import type { OtlpPoster } from '../metrics/otlp.js';
import { BatchSpanExporter, batchSettings } from './span-exporter.js';
import type { FinishedSpan } from './spans.js';

const span = (i: number): FinishedSpan => ({
  traceId: '0'.repeat(32),
  spanId: String(i).padStart(16, '0'),
  name: `s${i}`,
  kind: 1,
  startNs: 1n,
  endNs: 2n,
  attributes: {},
  events: [],
});

function poster(ok = true) {
  const batches: string[][] = [];
  const p = {
    post: (body: { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }> }) => {
      batches.push(body.resourceSpans[0]?.scopeSpans[0]?.spans.map((s) => s.name) ?? []);
      return Promise.resolve(ok);
    },
  };
  return { batches, poster: p as unknown as OtlpPoster };
}

describe('batchSettings', () => {
  it('reads OTEL_BSP_* and keeps the batch within the queue', () => {
    expect(batchSettings({})).toEqual({
      scheduleDelayMs: 5000,
      maxQueueSize: 2048,
      maxExportBatchSize: 512,
      exportTimeoutMs: 10_000,
    });
    expect(
      batchSettings({ OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_EXPORT_TIMEOUT: 'x' }),
    ).toEqual({ scheduleDelayMs: 200, maxQueueSize: 10, maxExportBatchSize: 10, exportTimeoutMs: 10_000 });
  });
});

describe('BatchSpanExporter', () => {
  const settings = { scheduleDelayMs: 60_000, maxQueueSize: 5, maxExportBatchSize: 2, exportTimeoutMs: 1000 };

  it('exports a full batch at once, the rest at close', async () => {
    const { batches, poster: p } = poster();
    const e = new BatchSpanExporter(p, 'sylkd', settings, silentLogger());
    e.add(span(1));
    expect(batches).toEqual([]);
    e.add(span(2));
    e.add(span(3));
    await e.close();
    expect(batches).toEqual([['s1', 's2'], ['s3']]);
  });

  it('drops spans beyond the queue bound while an export is under way', async () => {
    const batches: number[] = [];
    let release!: () => void;
    const slow = {
      post: (body: { resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> }) => {
        batches.push(body.resourceSpans[0]?.scopeSpans[0]?.spans.length ?? 0);
        return new Promise<boolean>((resolve) => (release = () => resolve(false)));
      },
    } as unknown as OtlpPoster;
    const e = new BatchSpanExporter(slow, 'sylkd', { ...settings, maxExportBatchSize: 5 }, silentLogger());
    for (let i = 1; i <= 13; i++) e.add(span(i)); // 5 in flight, 5 queued, 3 dropped
    const closed = e.close();
    release();
    await new Promise((r) => setImmediate(r));
    release();
    await closed;
    expect(batches).toEqual([5, 5]);
  });
});
