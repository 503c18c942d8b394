import { ErrorTier, SylkError } from '@sylk/core';
import type { LLMResponse, Message, ToolCall } from '@sylk/llm';
import { AgentErrorCode } from './errors.js';
import type { TurnContext } from './types.js';

/** Replies cut in a tool call, one after the other, after which the turn stops. */
const MAX_CUT_REPLIES = 2;

/** What a cut call was (for its result): the arguments' length and the path they named, if any. */
interface CutCall {
  name: string;
  chars: number;
  path?: string;
}

/**
 * Replies that hit the output token limit (stop reason `max_tokens`) in the middle of a tool call.
 * Such a call is never run: its arguments are incomplete (the accumulator keeps text that is not
 * a whole JSON object as `argumentsText`; a call cut right after its name has none). It is
 * answered with a result that tells the model what happened and how to go on, the user gets a
 * notice, and the turn stops after {@link MAX_CUT_REPLIES} such replies in a row.
 */
export class OutputLimitGuard {
  private inARow = 0;

  constructor(private readonly ctx: Pick<TurnContext, 'maxTokens' | 'provider' | 'model' | 'emit'>) {}

  /** The reply to keep (cut calls without their partial arguments) and its cut calls by id. */
  check(response: LLMResponse): { response: LLMResponse; cut: ReadonlyMap<string, CutCall> } {
    const cut = new Map<string, CutCall>();
    if (response.stopReason === 'max_tokens' && response.toolCalls.length > 0) {
      const last = response.toolCalls[response.toolCalls.length - 1];
      for (const call of response.toolCalls) {
        if (call.argumentsText !== undefined || (call === last && Object.keys(call.arguments).length === 0))
          cut.set(call.id, describeCut(call));
      }
    }
    this.inARow = cut.size > 0 ? this.inARow + 1 : 0;
    if (cut.size === 0) return { response, cut };
    return {
      response: {
        ...response,
        toolCalls: response.toolCalls.map((c) => (cut.has(c.id) ? { id: c.id, name: c.name, arguments: {} } : c)),
      },
      cut,
    };
  }

  /** Results of all the reply's calls in call order: cut ones answered here (the user told), the others run. */
  async answer(
    calls: readonly ToolCall[],
    cut: ReadonlyMap<string, CutCall>,
    run: (calls: ToolCall[]) => Promise<Message[]>,
  ): Promise<Message[]> {
    if (cut.size === 0) return run([...calls]);
    const names = [...new Set([...cut.values()].map((c) => c.name))].join(', ');
    this.ctx.emit({
      type: 'notice',
      message:
        `The reply hit the output limit (${this.limit()}) in the middle of a ${names} call; ` +
        `the call was not run and the model was told to work in smaller pieces.`,
    });
    const ran = await run(calls.filter((c) => !cut.has(c.id)));
    const byId = new Map(ran.map((m) => [m.toolCallId, m]));
    return calls.map((c) => {
      const info = cut.get(c.id);
      return info !== undefined
        ? { role: 'tool', toolCallId: c.id, content: this.cutResult(info), isError: true }
        : (byId.get(c.id) as Message);
    });
  }

  /** The error that ends the turn once replies were cut {@link MAX_CUT_REPLIES} times in a row. */
  stop(): SylkError | undefined {
    if (this.inARow < MAX_CUT_REPLIES) return undefined;
    return new SylkError(
      `the model's replies hit the output limit (${this.limit()}) in the middle of a tool call ${this.inARow} times in a row; the cut calls were not run`,
      {
        code: AgentErrorCode.OutputLimit,
        tier: ErrorTier.UserFixable,
        hint:
          `raise sessions.max_output_tokens (0 = the model's limit, ` +
          `which llm.providers.${this.ctx.provider}.models.${this.ctx.model}.max_output_tokens overrides), ` +
          `or ask for the change in smaller steps`,
        details: { maxTokens: this.ctx.maxTokens },
      },
    );
  }

  private limit(): string {
    return this.ctx.maxTokens === undefined ? 'the provider default' : `${this.ctx.maxTokens} tokens`;
  }

  private cutResult(c: CutCall): string {
    return [
      `Not run: your reply hit the output token limit (${this.limit()}) while you were writing this ${c.name} call, ` +
        `so its arguments were cut off after ${c.chars} characters${c.path !== undefined ? ` (path ${c.path})` : ''}.`,
      'Do not send the same call again. Work in smaller pieces: change existing files with edit_file instead of rewriting them,',
      'write a large new file in parts (write_file with the first part, then edit_file to add the rest), and keep each reply short.',
    ].join(' ');
  }
}

function describeCut(call: ToolCall): CutCall {
  const text = call.argumentsText ?? '';
  const path = /"path"\s*:\s*"((?:[^"\\]|\\.){1,300})"/.exec(text)?.[1];
  return { name: call.name, chars: text.length, ...(path !== undefined ? { path } : {}) };
}
