import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino';
import { redactSecretFields, scrubSecretText, scrubSecrets } from './secrets.js';

export type { Logger } from 'pino';

/** Base pino options every Sylk logger uses: secret-named fields redacted, free text scrubbed. */
function loggerOptions(overrides: LoggerOptions = {}): LoggerOptions {
  return {
    level: 'info',
    formatters: {
      bindings: (bindings: Record<string, unknown>) => redactSecretFields(bindings),
      log(fields: Record<string, unknown>) {
        const object = redactSecretFields(fields);
        // Error messages and free-text fields can carry a key pasted by an upstream API.
        let scrubbed: Record<string, unknown> | undefined;
        for (const field of ['msg', 'err', 'error', 'body', 'message'] as const) {
          const value = object[field];
          const clean = scrubSecretText(value);
          if (clean !== value) (scrubbed ??= { ...object })[field] = clean;
        }
        return scrubbed ?? object;
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

/** A Sylk logger (see {@link loggerOptions}); `overrides` on top of its options, e.g. the level. */
export function createLogger(destination?: DestinationStream, overrides: LoggerOptions = {}): Logger {
  const options = loggerOptions(overrides);
  const logger = destination ? pino(options, destination) : pino(options);
  // pino applies formatters.bindings to the root's bindings only: a child's (and a grandchild's,
  // which inherits this method) are redacted here.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactSecretFields(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

/** A logger that drops everything; the default for library code under test. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
