declare module 'pino-roll' {
  import type { DestinationStream } from 'pino';
  interface PinoRollOptions {
    file: string | (() => string);
    size?: number | string;
    frequency?: number | string;
    extension?: string;
    symlink?: boolean;
    mkdir?: boolean;
    sync?: boolean;
    limit?: { count?: number; removeOtherLogFiles?: boolean };
  }
  export default function pinoRoll(
    options: PinoRollOptions,
  ): Promise<DestinationStream & { end(): void; flushSync?(): void }>;
}
