import { describe, expect, it } from 'vitest';
import { ErrorTier, REDACTED, SecretValues, SylkError } from '@sylk/core';
import { toStatus } from './errors.js';

describe('toStatus', () => {
  it('scrubs known secrets (with a redactor) and credential patterns from message and hint', () => {
    const secrets = new SecretValues();
    secrets.add('plain-known-value-42');
    const err = new SylkError('upstream said plain-known-value-42 and sk-ant-abcdefghijklmnopqrstu', {
      code: 'x',
      tier: ErrorTier.Permanent,
      hint: 'check plain-known-value-42',
    });
    const status = toStatus(err, (t) => secrets.redact(t));
    expect(status.details).toBe(`upstream said ${REDACTED} and ${REDACTED}`);
    expect(status.metadata?.get('sylk-error-hint')).toEqual([`check ${REDACTED}`]);
    expect(toStatus(err).details).toBe(`upstream said plain-known-value-42 and ${REDACTED}`);
  });
});
