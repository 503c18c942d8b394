import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino';
import { REDACT_PATHS, REDACTED, scrubSecrets } from './secrets.js';

export type { Logger } from 'pino';

/** Base pino options every Sylk logger uses: path redaction plus free-text scrubbing. */
export function loggerOptions(overrides: LoggerOptions = {}): LoggerOptions {
  return {
    level: 'info',
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    formatters: {
      log(object: Record<string, unknown>) {
        // Error messages and free-text fields can carry a key pasted by an upstream API.
        for (const field of ['msg', 'err', 'error', 'body', 'message'] as const) {
          const value = object[field];
          if (typeof value === 'string') object[field] = scrubSecrets(value);
        }
        return object;
      },
    },
    hooks: {
      logMethod(args, method) {
        const [first, ...rest] = args;
        if (typeof first === 'string')
          return method.apply(this, [scrubSecrets(first), ...rest] as Parameters<typeof method>);
        const second = rest[0];
        if (typeof second === 'string') rest[0] = scrubSecrets(second);
        return method.apply(this, [first, ...rest] as Parameters<typeof method>);
      },
    },
    ...overrides,
  };
}

export function createLogger(destination?: DestinationStream, overrides: LoggerOptions = {}): Logger {
  const options = loggerOptions(overrides);
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything; the default for library code under test. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
