/** A session's input with its `@path` mentions attached (see @sylk/agents mentions.ts). */
import { attachMentions, type MentionedFile } from '@sylk/agents';
import type { RuntimeDeps } from './runtime.js';

/** The prompt the model gets and the files to list in the `user_input` event. */
export async function withMentions(
  text: string,
  deps: Pick<RuntimeDeps, 'fs' | 'config' | 'secrets'>,
): Promise<{ prompt: string; mentions: MentionedFile[] }> {
  const r = await attachMentions(text, {
    fs: deps.fs,
    // Read at each input: a project's config change applies to the next prompt.
    maxFileBytes: deps.config().sessions.mention_max_kb * 1024,
    ...(deps.secrets !== undefined ? { redact: deps.secrets } : {}),
  });
  return { prompt: r.prompt, mentions: r.files };
}
