import { stringify } from 'yaml';
import { DEFAULT_CONFIG, SCHEMA_PATH } from './schema.js';

/**
 * A starter config.yaml: the schema line for editor completion, then every default commented out,
 * so the file changes nothing until a line is uncommented.
 */
export function configTemplate(opts: { schemaRef?: string } = {}): string {
  const body = stringify(DEFAULT_CONFIG, { indent: 2, lineWidth: 0 })
    .trimEnd()
    .split('\n')
    .map((line) => `# ${line}`)
    .join('\n');
  return [
    `# yaml-language-server: $schema=${opts.schemaRef ?? SCHEMA_PATH}`,
    '# Sylk configuration. Uncomment and change what you need; see docs/configuration.md.',
    '',
    body,
    '',
  ].join('\n');
}
