import { join } from 'node:path';
import { pino, type DestinationStream, type Level } from 'pino';
import pinoRoll from 'pino-roll';
import { loggerOptions, type Logger } from '@sylk/core';

export interface DaemonLogOptions {
  logsDir: string;
  level: string;
  /** Pretty, human-readable output on stdout as well (foreground on a TTY). */
  pretty: boolean;
  maxSizeMb: number;
  maxFiles: number;
}

export interface DaemonLog {
  logger: Logger;
  /** Stable path that always points at the active log file. */
  currentFile: string;
  close(): void;
}

/** The file the CLI reads for `sylk daemon logs` (pino-roll keeps it pointing at the active file). */
export function currentLogPath(logsDir: string): string {
  return join(logsDir, 'current.log');
}

/**
 * Structured JSON logs to `{state}/logs/`, rotated by size (pino-roll, in-process so
 * the idle daemon carries no transport worker thread), plus pretty output when a
 * person is watching a foreground daemon. Redaction comes from @sylk/core.
 */
export async function openDaemonLog(options: DaemonLogOptions): Promise<DaemonLog> {
  const file = await pinoRoll({
    file: join(options.logsDir, 'sylkd.log'),
    size: `${options.maxSizeMb}m`,
    limit: { count: options.maxFiles },
    symlink: true,
    mkdir: true,
    // Synchronous writes: a daemon logs little, and the line before a crash must reach the disk.
    sync: true,
  });
  const streams: { stream: DestinationStream; level: Level }[] = [{ stream: file, level: 'trace' }];
  if (options.pretty) {
    // Loaded only when a person is watching: it is sizeable and an idle service never needs it.
    const { PinoPretty } = await import('pino-pretty');
    streams.push({ stream: PinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }), level: 'trace' });
  }
  const logger = pino(loggerOptions({ level: options.level, base: { pid: process.pid } }), pino.multistream(streams));
  return {
    logger,
    currentFile: currentLogPath(options.logsDir),
    close: () => {
      // The process exits right after: write what is buffered now, synchronously.
      file.flushSync?.();
      file.end();
    },
  };
}
