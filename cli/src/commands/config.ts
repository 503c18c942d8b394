import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { findProjectRoot, resolveDirs, resolveSocketPath } from '@sylk/config/paths';
import { createClient } from '@sylk/proto/client';
import { ConfigService, type ConfigOrigin } from '@sylk/proto/config';
import { connectDaemon, type DaemonConnection } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import { emit, style, type GlobalOptions, type Style } from '../output.js';
import type { Runtime } from '../runtime.js';

/** One effective value and where it comes from, as the daemon reports it (values redacted). */
interface Origin {
  key: string;
  value: unknown;
  layer: string;
  source: string;
}

const originsOf = (list: ConfigOrigin[]): Origin[] =>
  list.map((o) => ({ key: o.key, value: JSON.parse(o.valueJson) as unknown, layer: o.layer, source: o.source }));

/** Where a value comes from, in words: `default`, `user file …`, `env $SYLK_…`. */
function sourceLabel(o: Pick<Origin, 'layer' | 'source'>): string {
  switch (o.layer) {
    case 'defaults':
      return 'default';
    case 'project_local':
      return `project local file ${o.source}`;
    case 'env':
      return `env ${o.source}`;
    case 'env_file':
      return `env file ${o.source}`;
    default:
      return `${o.layer} file ${o.source}`;
  }
}

/** `key = value  ← source`, one line per value, keys aligned. */
function originLines(origins: Origin[], st: Style): string[] {
  const width = Math.min(48, Math.max(0, ...origins.map((o) => o.key.length)));
  return origins.map((o) => `${o.key.padEnd(width)} = ${JSON.stringify(o.value)}  ${st.dim(`← ${sourceLabel(o)}`)}`);
}

/** Values now coming from a layer above the file just written (an env var, a project file): said once each. */
function overrideNotes(origins: Origin[], written: string, st: Style): string[] {
  const above = origins.filter((o) => o.layer !== 'defaults' && o.source !== written);
  return above.map((o) =>
    st.yellow(`note: ${o.key} is ${JSON.stringify(o.value)} from ${sourceLabel(o)}, which takes precedence here`),
  );
}

const configClient = (conn: DaemonConnection) => createClient(ConfigService, conn.channel);

async function withConfig<T>(
  rt: Runtime,
  cmd: Command,
  fn: (
    client: ReturnType<typeof configClient>,
    opts: GlobalOptions,
    metadata: DaemonConnection['metadata'],
  ) => Promise<T>,
): Promise<T> {
  const opts = rt.globals(cmd);
  const conn = await connectDaemon(opts, rt.env);
  try {
    return await fn(configClient(conn), opts, conn.metadata);
  } finally {
    conn.close();
  }
}

export function registerConfigCommands(program: Command, rt: Runtime): void {
  const config = program.command('config').description('read, change and check the layered configuration');
  const projectDir = () => findProjectRoot(rt.cwd) ?? '';

  config
    .command('get')
    .description('print the effective values at a dotted key (all config when omitted) and where each comes from')
    .argument('[key]', 'dotted key such as llm.timeout')
    .action((key: string | undefined, _o, cmd: Command) =>
      withConfig(rt, cmd, async (client, opts, metadata) => {
        const res = await client.getConfig(
          { key: key ?? '', projectDir: projectDir(), withOrigins: true },
          { timeoutMs: 5_000, metadata },
        );
        const value: unknown = JSON.parse(res.valueJson);
        const origins = originsOf(res.origins);
        emit(opts, { key: res.key, value, origins }, () => originLines(origins, style(rt.color(opts))).join('\n'));
      }),
    );

  config
    .command('set')
    .description("set a value in your user config (or the project's .sylk/config.yaml with --project), checked first")
    .argument('<key>', 'dotted key such as llm.timeout')
    .argument('<value>', 'a YAML scalar or flow collection: 30, true, gpt-5, "[a, b]"')
    .option('--project', "write the project's .sylk/config.yaml (only the settings a repository may set)")
    .action((key: string, value: string, o: { project?: boolean }, cmd: Command) =>
      withConfig(rt, cmd, async (client, opts, metadata) => {
        const project = o.project === true;
        if (project && projectDir() === '') throw notInProject();
        const res = await client.setConfig(
          { key, valueYaml: value, project, projectDir: projectDir() },
          { timeoutMs: 5_000, metadata },
        );
        const origins = originsOf(res.origins);
        const st = style(rt.color(opts));
        emit(opts, { key, path: res.path, replaced: res.replaced, origins }, () =>
          [
            st.green(`${res.replaced ? 'changed' : 'set'} ${key} in ${res.path}`),
            ...originLines(origins, st),
            ...overrideNotes(origins, res.path, st),
          ].join('\n'),
        );
      }),
    );

  config
    .command('unset')
    .description("remove a key from your user config (or the project's .sylk/config.yaml with --project)")
    .argument('<key>', 'dotted key such as llm.timeout')
    .option('--project', "change the project's .sylk/config.yaml")
    .action((key: string, o: { project?: boolean }, cmd: Command) =>
      withConfig(rt, cmd, async (client, opts, metadata) => {
        const project = o.project === true;
        if (project && projectDir() === '') throw notInProject();
        const res = await client.unsetConfig(
          { key, project, projectDir: projectDir() },
          { timeoutMs: 5_000, metadata },
        );
        const origins = originsOf(res.origins);
        const st = style(rt.color(opts));
        emit(opts, { key, path: res.path, removed: res.removed, origins }, () =>
          [
            res.removed
              ? st.green(`removed ${key} from ${res.path}; now:`)
              : `${key} is not set in ${res.path}; nothing changed`,
            ...originLines(origins, st),
          ].join('\n'),
        );
      }),
    );

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

function notInProject(): CliError {
  return new CliError(
    '--project needs a project: no .sylk/ or .git directory here or above (drop --project to change your user config)',
    EXIT.usage,
  );
}
