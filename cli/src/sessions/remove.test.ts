import { describe, expect, it } from 'vitest';
import { SessionState, type Session } from '@sylk/proto/session';
import { CliError, EXIT } from '../exit-codes.js';
import { removeSession, type RemoveOptions } from './remove.js';

function run(session: Partial<Session>, o: Partial<RemoveOptions> & { answer?: string } = {}) {
  const calls: string[] = [];
  const options: RemoveOptions = {
    session: { name: 'kind-fox', id: 'ses_1', state: SessionState.IDLE, attachedClients: 0, ...session } as Session,
    force: false,
    interactive: false,
    ask: (q) => {
      calls.push(`ask ${q}`);
      return Promise.resolve(o.answer ?? '');
    },
    close: () => {
      calls.push('close');
      return Promise.resolve();
    },
    remove: () => {
      calls.push('remove');
      return Promise.resolve('ses_1');
    },
    ...o,
  };
  return { calls, result: removeSession(options) };
}

describe('removeSession', () => {
  it('deletes an idle session at once', async () => {
    const r = run({});
    await expect(r.result).resolves.toBe('ses_1');
    expect(r.calls).toEqual(['remove']);
  });

  it('refuses a session in use without a terminal, with the --force hint', async () => {
    const r = run({ attachedClients: 1 });
    const err = await r.result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err).toMatchObject({
      exitCode: EXIT.failure,
      hint: 'pass --force to delete it anyway: sylk rm kind-fox --force',
    });
    expect((err as Error).message).toBe('kind-fox is in use (1 client is attached); not deleted');
    expect(r.calls).toEqual([]);
  });

  it('asks on a terminal; no keeps it, yes stops the turn and deletes it', async () => {
    const no = run({ state: SessionState.RUNNING }, { interactive: true, answer: 'n' });
    await expect(no.result).rejects.toThrow('kind-fox not deleted');
    expect(no.calls).toEqual(['ask ! kind-fox: a turn is running.\n  Delete it and its history anyway? [y/N] ']);
    const yes = run({ state: SessionState.WAITING_APPROVAL, attachedClients: 2 }, { interactive: true, answer: 'yes' });
    await expect(yes.result).resolves.toBe('ses_1');
    expect(yes.calls[0]).toContain('2 clients are attached, a turn is waiting for approval');
    expect(yes.calls.slice(1)).toEqual(['close', 'remove']);
  });

  it('--force skips the question', async () => {
    const r = run({ state: SessionState.RUNNING, attachedClients: 1 }, { force: true });
    await expect(r.result).resolves.toBe('ses_1');
    expect(r.calls).toEqual(['close', 'remove']);
  });
});
