import { SylkError } from './errors.js';

/**
 * Test helper: run `fn` and return the SylkError it throws (anything else fails the test).
 * @internal exported for tests
 */
export function caughtSylkError(fn: () => unknown): SylkError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SylkError) return err;
    throw new Error(`expected a SylkError, got: ${String(err)}`, { cause: err });
  }
  throw new Error('expected a SylkError, but nothing was thrown');
}
