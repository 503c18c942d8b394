import type { Logger } from '@sylk/core';
import { envInteger, type OtlpPoster } from '../metrics/otlp.js';
import { otlpTraceBody, type FinishedSpan } from './spans.js';

/** The batch span processor's settings (the standard `OTEL_BSP_*` variables). */
export interface BatchSettings {
  scheduleDelayMs: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
  exportTimeoutMs: number;
}

export function batchSettings(env: Readonly<Record<string, string | undefined>>): BatchSettings {
  const maxQueueSize = envInteger(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048);
  return {
    scheduleDelayMs: envInteger(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000),
    maxQueueSize,
    maxExportBatchSize: Math.min(maxQueueSize, envInteger(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512)),
    // Shorter than the specification's 30 s default: the last export runs during shutdown.
    exportTimeoutMs: envInteger(env, 'OTEL_BSP_EXPORT_TIMEOUT', 10_000),
  };
}

/**
 * Finished spans wait in a bounded queue and go out in batches: when a batch is full, after the
 * schedule delay, and at close. One export runs at a time; a full queue drops new spans (logged
 * once per spell) rather than hold memory for a collector that does not take them.
 */
export class BatchSpanExporter {
  private readonly queue: FinishedSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> | undefined;
  private dropping = false;

  constructor(
    private readonly poster: OtlpPoster,
    private readonly serviceName: string,
    private readonly settings: BatchSettings,
    private readonly logger: Logger,
  ) {}

  add(span: FinishedSpan): void {
    if (this.queue.length >= this.settings.maxQueueSize) {
      if (!this.dropping)
        this.logger.warn({ maxQueueSize: this.settings.maxQueueSize }, 'trace export queue full: dropping spans');
      this.dropping = true;
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= this.settings.maxExportBatchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.settings.scheduleDelayMs).unref();
  }

  /** Exports everything queued now (and what arrives meanwhile). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.exporting ??= this.drain().finally(() => {
      this.exporting = undefined;
      if (this.queue.length > 0)
        this.timer ??= setTimeout(() => void this.flush(), this.settings.scheduleDelayMs).unref();
    });
    return this.exporting;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.settings.maxExportBatchSize);
      if (await this.poster.post(otlpTraceBody(batch, this.serviceName), this.settings.exportTimeoutMs))
        this.dropping = false;
    }
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
