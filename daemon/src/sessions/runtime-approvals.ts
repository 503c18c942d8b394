import type { Approval, ApprovalDecision } from '@sylk/sessions';
import type { ApprovalBridge } from './permissions.js';

/** What the host does with a session's approvals: persist and announce them, wait for the decision. */
export interface ApprovalRecorder {
  /** Persists the request and announces it (`approval_requested`). */
  request(request: Parameters<ApprovalBridge['ask']>[0]): Promise<Approval>;
  /** Resolves with the decided approval (or rejects when `signal` aborts). */
  wait(approval: Approval, signal: AbortSignal): Promise<Approval>;
  allowlistChanged: ApprovalBridge['allowlistChanged'];
  audit?: ApprovalBridge['audit'];
}

/** How the approvals move the session's state (see runtime-states.ts): asked in a turn, answered. */
export interface ApprovalStates {
  /** The turn starts waiting, if a turn runs; false when nothing runs (the network proxy asks outside a turn). */
  asked(): boolean;
  /** The last approval the turn waited for was decided. */
  answered(): Promise<void>;
}

/**
 * The approval bridge of one session, for its turns and its network proxy: the recorder
 * persists, the session's state goes to `waiting_approval` while a turn waits for one or more
 * approvals, and decisions taken after a restart for the interrupted turn are applied once,
 * when the agent asks again.
 */
export class SessionApprovals {
  readonly bridge: ApprovalBridge;
  /** Approvals the turn waits for. */
  private waiting = 0;
  private readonly predecisions = new Map<string, ApprovalDecision>();

  constructor(recorder: ApprovalRecorder, states: ApprovalStates) {
    this.bridge = {
      ask: async (request, signal) => {
        const approval = await recorder.request(request);
        const inTurn = states.asked();
        if (inTurn) this.waiting++;
        try {
          return await recorder.wait(approval, signal);
        } finally {
          if (inTurn && --this.waiting === 0) await states.answered();
        }
      },
      predecided: (kind, target) => {
        const key = `${kind}\u0000${target}`;
        const decision = this.predecisions.get(key);
        this.predecisions.delete(key);
        return decision;
      },
      allowlistChanged: () => recorder.allowlistChanged(),
      ...(recorder.audit !== undefined ? { audit: recorder.audit } : {}),
    };
  }

  /** A decision on an approval whose turn died with a previous daemon: applied when the agent asks again. */
  predecide(kind: string, target: string, decision: ApprovalDecision): void {
    this.predecisions.set(`${kind}\u0000${target}`, decision);
  }
}
