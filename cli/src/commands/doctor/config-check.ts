/** Every config layer in effect here: user, project, project-local, sylkd's environment. */
import { readFileSync } from 'node:fs';
import { findProjectRoot } from '@sylk/config/paths';
import { createClient } from '@sylk/proto/client';
import { ConfigService } from '@sylk/proto/config';
import { result, type Check, type CheckResult } from './types.js';

/**
 * The 1-based line where a dotted key (`llm.providers.openai.base_url`) is set in block-style
 * YAML, or its nearest parent's; undefined when not even the first key is found.
 * @internal exported for tests
 */
export function lineOfKey(text: string, dotted: string): number | undefined {
  const lines = text.split('\n');
  let found: number | undefined;
  let from = 0;
  let parentIndent = -1;
  for (const segment of dotted.split('.').filter((s) => !/^\d+$/.test(s))) {
    let hit: number | undefined;
    for (let i = from; i < lines.length; i++) {
      const line = lines[i] as string;
      if (/^\s*(#.*)?$/.test(line)) continue;
      const indent = line.length - line.trimStart().length;
      if (indent <= parentIndent) break;
      const key = /^\s*(?:- )?(["']?)([^"':#]+)\1\s*:(\s|$)/.exec(line)?.[2];
      if (key === segment) {
        hit = i;
        parentIndent = indent;
        break;
      }
    }
    if (hit === undefined) break;
    found = hit + 1;
    from = hit + 1;
  }
  return found;
}

const unquote = (file: string) => file.replace(/^\$/, '');

/**
 * The layers sylkd applies here (user, project, project-local, its environment), validated by
 * sylkd through @sylk/config (the CLI bundle does not carry the validator). Lines are looked up in
 * the files themselves.
 */
export const configCheck: Check = async ({ conn, cwd }) => {
  if (conn === undefined) return result('config', 'skip', 'needs the daemon');
  const projectDir = findProjectRoot(cwd) ?? '';
  const res = await createClient(ConfigService, conn.channel).validateConfig(
    { yaml: '', fileName: '', projectDir },
    { timeoutMs: 10_000, metadata: conn.metadata },
  );
  const files = res.sources.filter((s) => s.present && s.layer !== 'defaults').map((s) => s.path);
  if (res.warnings.length === 0)
    return result('config', 'ok', files.length > 0 ? `valid: ${files.join(', ')}` : 'no config files: defaults');
  const fileOf = (layer: string) => res.sources.find((s) => s.layer === layer)?.path;
  const userFile = fileOf('user');
  const projectFile = fileOf('project');
  const texts = new Map<string, string>();
  const textOf = (file: string): string => {
    if (!texts.has(file)) {
      try {
        texts.set(file, readFileSync(file, 'utf8'));
      } catch {
        texts.set(file, '');
      }
    }
    return texts.get(file) ?? '';
  };
  return res.warnings.map((w): CheckResult => {
    if (w.file.startsWith('$'))
      return result(
        'config',
        'fail',
        `${w.file}${w.path ? `: ${w.path}` : ''}: ${w.reason}`,
        `unset ${unquote(w.file)} in sylkd's environment, then: sylk daemon restart`,
      );
    const line = w.path ? lineOfKey(textOf(w.file), w.path) : Number(/\bline (\d+)/.exec(w.reason)?.[1] ?? NaN);
    const at = line !== undefined && !Number.isNaN(line) ? `${w.file}:${line}` : w.file;
    const detail = `${at}${w.path ? `: ${w.path}` : ''}: ${w.reason}`;
    let fix = `edit ${at}, then: sylk config validate ${w.file}`;
    if (w.path && w.file === userFile) fix = `sylk config unset ${w.path}  (or edit ${at})`;
    else if (w.path && w.file === projectFile) fix = `sylk config unset ${w.path} --project  (or edit ${at})`;
    return result('config', 'fail', detail, fix);
  });
};
