import { ErrorTier, SylkError } from '@sylk/core';
import type { SessionRecord } from '@sylk/sessions';
import { isProviderName } from '../llm/settings.js';
import type { SessionModel } from '../llm/session-model.js';
import type { SessionRuntime } from './runtime.js';

/** What `/model` and `/clear` need of the host. */
export interface ConversationHost {
  registry: { get(idOrName: string): SessionRecord };
  runtime(idOrName: string): Promise<SessionRuntime>;
  /** The provider and model checked against the session's project config (unknown provider refused). */
  sessionModel(projectRoot: string, input: { provider?: string; model?: string }): SessionModel;
}

function turnRunning(name: string, what: string): SylkError {
  return new SylkError(`session ${name} is running a turn`, {
    code: 'failed_precondition',
    tier: ErrorTier.UserFixable,
    hint: `wait for the turn to end, or cancel it (Ctrl-C, or sylk cancel ${name}), then ${what}`,
  });
}

/**
 * `/model [provider:]model` (or `/model <provider>` for its default model): later turns of the
 * session use it. A model alone stays with the session's provider. The provider must be usable
 * now (a key), so a switch never leaves the next turn to fail on configuration.
 */
export async function switchSessionModel(
  host: ConversationHost,
  session: string,
  input: { provider: string; model: string },
): Promise<{ record: SessionRecord; warning?: string }> {
  const before = host.registry.get(session);
  const rt = await host.runtime(before.id);
  if (rt.turnRunning) throw turnRunning(before.name, 'switch the model');
  const asProvider = input.provider === '' && isProviderName(input.model);
  const chosen = host.sessionModel(before.projectRoot, {
    provider: asProvider ? input.model : input.provider || before.provider,
    model: asProvider ? '' : input.model,
  });
  await rt.useModel(chosen.provider, chosen.model);
  const from = `${before.provider}/${before.model}`;
  await rt.append('notice', {
    code: 'session.model_changed',
    message: `model: ${chosen.provider}/${chosen.model} from the next turn on (was ${from})`,
  });
  if (chosen.warning !== undefined) await rt.append('notice', { code: 'llm.unknown_model', message: chosen.warning });
  return { record: host.registry.get(before.id), ...(chosen.warning !== undefined ? { warning: chosen.warning } : {}) };
}

/**
 * `/clear`: a new conversation in the same session. The model no longer sees the earlier
 * messages; the event log (and so `sylk logs`, replay, undo's receipts) keeps them.
 */
export async function clearConversation(host: ConversationHost, session: string): Promise<number> {
  const record = host.registry.get(session);
  const rt = await host.runtime(record.id);
  if (rt.turnRunning) throw turnRunning(record.name, 'clear');
  const cleared = rt.history.length;
  if (cleared > 0) rt.rewindHistory(0);
  await rt.append('notice', {
    code: 'conversation.cleared',
    message: `new conversation: the model no longer sees the ${cleared} earlier message${cleared === 1 ? '' : 's'} (the log keeps them)`,
  });
  return cleared;
}
