import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { findProjectRoot, resolveDirs, resolveSocketPath } from '@sylk/config/paths';
import { createClient } from '@sylk/proto/client';
import { ConfigService } from '@sylk/proto/config';
import { connectDaemon } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import { emit, style } from '../output.js';
import type { Runtime } from '../runtime.js';

function renderValue(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return value.map((v) => `\n${indent}- ${renderValue(v, `${indent}  `)}`).join('');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return entries
    .map(([k, v]) => {
      const rendered = renderValue(v, `${indent}  `);
      return `\n${indent}${k}:${rendered.startsWith('\n') ? '' : ' '}${rendered}`;
    })
    .join('');
}

export function registerConfigCommands(program: Command, rt: Runtime): void {
  const config = program.command('config').description('read and check the layered configuration');

  config
    .command('get')
    .description('print the effective value at a dotted key (all config when omitted)')
    .argument('[key]', 'dotted key such as llm.timeout')
    .action(async (key: string | undefined, _o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const conn = await connectDaemon(opts, rt.env);
      try {
        const projectDir = findProjectRoot(rt.cwd) ?? '';
        const res = await createClient(ConfigService, conn.channel).getConfig(
          { key: key ?? '', projectDir },
          { timeoutMs: 5_000, metadata: conn.metadata },
        );
        const value: unknown = JSON.parse(res.valueJson);
        emit(opts, { key: res.key, value }, () => {
          const text = renderValue(value);
          return text.startsWith('\n') ? text.slice(1) : text;
        });
      } finally {
        conn.close();
      }
    });

  config
    .command('validate')
    .description('check a config file, or every layer in effect here, against the schema')
    .argument('[file]', 'a YAML file to check instead of the layers in effect')
    .action(async (file: string | undefined, _o, cmd: Command) => {
      const opts = rt.globals(cmd);
      let yaml = '';
      let fileName = '';
      if (file !== undefined) {
        fileName = resolve(rt.cwd, file);
        try {
          yaml = readFileSync(fileName, 'utf8');
        } catch (err) {
          throw new CliError(`cannot read ${fileName}: ${(err as Error).message}`, EXIT.failure);
        }
        if (yaml.trim() === '') yaml = '{}\n';
      }
      const conn = await connectDaemon(opts, rt.env);
      try {
        const res = await createClient(ConfigService, conn.channel).validateConfig(
          { yaml, fileName, projectDir: file ? '' : (findProjectRoot(rt.cwd) ?? '') },
          { timeoutMs: 5_000 },
        );
        const warnings = res.warnings.map(({ file: f, path, reason }) => ({ file: f, path, reason }));
        const st = style(rt.color(opts));
        emit(opts, { valid: res.valid, warnings }, () =>
          res.valid
            ? st.green(`config is valid${file ? `: ${fileName}` : ''}`)
            : [
                st.yellow(`${warnings.length} problem(s); each value falls back to its default:`),
                ...warnings.map((w) => `  ${w.file}: ${w.path || '(file)'}: ${w.reason}`),
              ].join('\n'),
        );
        if (!res.valid) rt.exitCode = EXIT.failure;
      } finally {
        conn.close();
      }
    });

  config
    .command('path')
    .description('print where config, data, logs and the socket live (no daemon needed)')
    .action((_o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const dirs = resolveDirs(rt.env);
      const project = findProjectRoot(rt.cwd);
      const paths = {
        userConfig: `${dirs.config}/config.yaml`,
        projectConfig: project ? `${project}/.sylk/config.yaml` : null,
        projectLocalConfig: project ? `${project}/.sylk/local/config.yaml` : null,
        socket: opts.socket ?? resolveSocketPath(rt.env, dirs),
        ...dirs,
      };
      emit(opts, paths, () =>
        Object.entries(paths)
          .map(([k, v]) => `${k.padEnd(18)} ${v ?? '-'}`)
          .join('\n'),
      );
    });
}
