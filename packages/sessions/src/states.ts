export type SessionState =
  'created' | 'running' | 'waiting_approval' | 'idle' | 'paused' | 'completed' | 'failed' | 'closed';

/** Allowed moves. A finished session (completed/failed) can take new input; closed is final. */
const TRANSITIONS: Record<SessionState, readonly SessionState[]> = {
  created: ['running', 'idle', 'paused', 'failed', 'closed'],
  running: ['waiting_approval', 'idle', 'paused', 'completed', 'failed', 'closed'],
  waiting_approval: ['running', 'idle', 'paused', 'failed', 'closed'],
  idle: ['running', 'paused', 'completed', 'failed', 'closed'],
  paused: ['running', 'idle', 'failed', 'closed'],
  completed: ['running', 'closed'],
  failed: ['running', 'closed'],
  closed: [],
};

export function canTransition(from: SessionState, to: SessionState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function allowedTransitions(from: SessionState): readonly SessionState[] {
  return TRANSITIONS[from];
}

/** States in which a session may be deleted. */
export const DELETABLE_STATES: readonly SessionState[] = ['closed', 'completed', 'failed'];

/** States a crashed daemon can leave behind mid-turn. */
export const IN_TURN_STATES: readonly SessionState[] = ['running', 'waiting_approval'];
