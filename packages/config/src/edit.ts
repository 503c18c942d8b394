/** Changing one value in a config file in place (comments, order and other keys are kept). */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import nodePath from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { ErrorTier, SylkError, errorMessage } from '@sylk/core';
import { checkYamlBounds } from './bounds.js';
import { formatWarning, validateConfigText } from './load.js';

/**
 * Sets (or with `undefined` deletes) the value at `keys` in the YAML file at `path`, creating the
 * file when missing. The result must validate (no warning anywhere under `keys[0]`), or nothing
 * is written (`config.invalid_value`, the warnings in `details.problems`); a file that does not
 * parse is never overwritten (`config.file_invalid`). Written through a temporary file and a
 * rename, keeping the file's mode. Returns whether a value was there before (deleting a missing
 * value writes nothing).
 */
export function editConfigFile(path: string, keys: readonly string[], value: unknown): { existed: boolean } {
  let text = '';
  let mode = 0o600;
  try {
    text = readFileSync(path, 'utf8');
    mode = statSync(path).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(path, `cannot read it: ${errorMessage(err)}`);
  }
  const bounds = checkYamlBounds(text);
  if (bounds !== undefined) throw fileError(path, bounds.reason);
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || (doc.contents !== null && !isMap(doc.contents)))
    throw fileError(path, doc.errors[0]?.message ?? 'its top level is not a mapping');
  const existed = doc.hasIn(keys);
  if (value === undefined && !existed) return { existed }; // nothing to remove: the file stays as it is
  if (value === undefined) doc.deleteIn(keys);
  else doc.setIn(keys, value);
  const next = doc.toString();
  const problems = validateConfigText(next, path).warnings.filter(
    (w) => w.path === keys[0] || w.path.startsWith(`${keys[0]}.`) || w.path === '',
  );
  if (problems.length > 0) {
    throw new SylkError(`Not written: ${problems.map(formatWarning).join('; ')}`, {
      code: 'config.invalid_value',
      tier: ErrorTier.UserFixable,
      hint: 'Fix the value (see docs/configuration.md) and try again.',
      details: { path, key: keys.join('.'), problems },
    });
  }
  mkdirSync(nodePath.dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, next, { mode });
  renameSync(temp, path);
  return { existed };
}

function fileError(path: string, problem: string): SylkError {
  return new SylkError(`Cannot change ${path}: ${problem}`, {
    code: 'config.file_invalid',
    tier: ErrorTier.UserFixable,
    hint: `Fix ${path} by hand (\`sylk config validate ${path}\`), then try again.`,
    details: { path },
  });
}
