import { SessionState, type Session } from '@sylk/proto/session';
import { CliError, EXIT } from '../exit-codes.js';

/** Why deleting this session would pull it from under someone: a client attached, a turn running. */
function inUse(s: Session): string[] {
  const why: string[] = [];
  if (s.attachedClients > 0)
    why.push(`${s.attachedClients} client${s.attachedClients === 1 ? ' is' : 's are'} attached`);
  if (s.state === SessionState.RUNNING) why.push('a turn is running');
  if (s.state === SessionState.WAITING_APPROVAL) why.push('a turn is waiting for approval');
  return why;
}

export interface RemoveOptions {
  session: Session;
  /** `--force`: delete without asking. */
  force: boolean;
  /** A terminal to ask on (stdin and stderr are TTYs). */
  interactive: boolean;
  ask(question: string): Promise<string>;
  /** Stops the session's turn and processes (the daemon deletes no session mid-turn). */
  close(): Promise<void>;
  /** Deletes it; the deleted id. */
  remove(): Promise<string>;
}

/**
 * `sylk rm`: an idle, paused, closed or failed session goes at once; one in use (attached, or a
 * turn running) only after a yes on the terminal or with --force, its turn stopped first.
 */
export async function removeSession(o: RemoveOptions): Promise<string> {
  const s = o.session;
  const why = inUse(s);
  if (why.length > 0 && !o.force) {
    const hint = `pass --force to delete it anyway: sylk rm ${s.name} --force`;
    if (!o.interactive)
      throw new CliError(`${s.name} is in use (${why.join(', ')}); not deleted`, EXIT.failure, hint, 'session.in_use');
    const answer = await o.ask(`! ${s.name}: ${why.join(', ')}.\n  Delete it and its history anyway? [y/N] `);
    if (!/^\s*y(es)?\s*$/i.test(answer))
      throw new CliError(`${s.name} not deleted`, EXIT.failure, hint, 'session.in_use');
  }
  if (s.state === SessionState.RUNNING || s.state === SessionState.WAITING_APPROVAL) await o.close();
  return o.remove();
}
