import type { Command } from 'commander';
import { findProjectRoot } from '@sylk/config/paths';
import { createClient } from '@sylk/proto/client';
import { ConfigService } from '@sylk/proto/config';
import { CredentialService, type CredentialStatusResponse } from '@sylk/proto/security';
import { connectDaemon, type DaemonConnection } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import { emit, style, type GlobalOptions, type Style } from '../output.js';
import type { Runtime } from '../runtime.js';
import { readAll } from '../sessions/stdin-text.js';

const PROVIDERS = 'anthropic, openai, google or openai-compatible';
const STORED_IN: Record<string, string> = { keychain: 'the system keychain', file: 'the encrypted credentials file' };

async function withCredentials<T>(
  rt: Runtime,
  opts: GlobalOptions,
  fn: (c: ReturnType<typeof client>, conn: DaemonConnection, profile: string) => Promise<T>,
): Promise<T> {
  const conn = await connectDaemon(opts, rt.env);
  try {
    return await fn(client(conn), conn, await profileFor(rt, opts, conn));
  } finally {
    conn.close();
  }
}

const client = (conn: DaemonConnection) => createClient(CredentialService, conn.channel);

/** `--profile` / SYLK_PROFILE, else `security.credentials.profile_name` as in effect here (project, user, daemon). */
async function profileFor(rt: Runtime, opts: GlobalOptions, conn: DaemonConnection): Promise<string> {
  if (opts.profile) return opts.profile;
  const projectDir = findProjectRoot(rt.cwd) ?? '';
  const res = await createClient(ConfigService, conn.channel).getConfig(
    { key: 'security.credentials.profile_name', projectDir },
    { timeoutMs: 5_000, metadata: conn.metadata },
  );
  const value: unknown = JSON.parse(res.valueJson);
  return typeof value === 'string' ? value : '';
}

/** A prompt on the terminal that echoes nothing. Ctrl-C aborts (exit 130). */
function readHidden(prompt: string, signal: AbortSignal): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      signal.removeEventListener('abort', onAbort);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onAbort = () => done(new CliError('cancelled', EXIT.interrupted));
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return onAbort();
        if (ch === '\u0004' && value === '') return done();
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

const iso = (ms: bigint) => (ms > 0n ? new Date(Number(ms)).toISOString() : null);

export function statusJson(r: CredentialStatusResponse) {
  return {
    profile: r.profile,
    keychain: r.keychain,
    filePath: r.filePath,
    credentials: r.credentials.map((c) => ({
      provider: c.provider,
      profile: c.profile,
      source: c.source,
      masked: c.masked || null,
      verifiedAt: iso(c.verifiedAtUnixMs),
      problem: c.problem || null,
    })),
  };
}

function renderStatus(j: ReturnType<typeof statusJson>, st: Style): string {
  const rows = j.credentials.map((c) => [
    c.provider,
    c.source === 'none' ? st.dim('none') : c.source,
    c.masked ?? '',
    c.verifiedAt ?? (c.source === 'none' ? '' : st.dim('not verified')),
  ]);
  const head = ['provider', 'source', 'key', 'verified'];
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] ?? '').replace(/\u001b\[\d+m/g, '').length)),
  );
  const fmt = (r: string[]) =>
    `  ${r.map((c, i) => c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - c.replace(/\u001b\[\d+m/g, '').length))).join('  ')}`.trimEnd();
  const lines = [
    `${st.bold('credentials')} — profile ${j.profile}; keychain: ${j.keychain}; file: ${j.filePath}`,
    fmt(head),
    ...rows.map(fmt),
  ];
  for (const c of j.credentials) if (c.problem) lines.push(st.yellow(`${c.provider}: ${c.problem}`));
  return lines.join('\n');
}

export function registerAuthCommands(program: Command, rt: Runtime): void {
  const auth = program
    .command('auth')
    .description('provider API keys: environment → system keychain → encrypted file, by profile (--profile)');

  auth
    .command('login')
    .description('store a provider key (hidden prompt, or --api-key-stdin), verified with a cheap call first')
    .argument('<provider>', PROVIDERS)
    .option(
      '--api-key-stdin',
      'read the key from standard input (for scripts: printf %s "$KEY" | sylk auth login openai --api-key-stdin)',
    )
    .option('--skip-verify', 'store without the verification call (offline)')
    .action(async (provider: string, o: { apiKeyStdin?: boolean; skipVerify?: boolean }, cmd: Command) => {
      const opts = rt.globals(cmd);
      let apiKey: string;
      // `echo $KEY |` adds a line break that readAll drops; anything else stays and the daemon judges it.
      if (o.apiKeyStdin) apiKey = await readAll(process.stdin);
      else if (process.stdin.isTTY === true)
        apiKey = await readHidden(`${provider} API key (input hidden): `, rt.signal);
      else
        throw new CliError(
          'standard input is not a terminal, so the key cannot be prompted for',
          EXIT.usage,
          `pipe it in with --api-key-stdin: printf %s "$KEY" | sylk auth login ${provider} --api-key-stdin`,
          'cli.usage',
        );
      const res = await withCredentials(rt, opts, (c, conn, profile) =>
        c
          .setCredential(
            { provider, profile, apiKey, skipVerify: o.skipVerify === true },
            { timeoutMs: 30_000, metadata: conn.metadata },
          )
          .then((r) => ({ ...r, profile })),
      );
      apiKey = '';
      const profile = res.profile;
      emit(
        opts,
        { provider, profile, storedIn: res.storedIn, verified: res.verified, masked: res.masked },
        () =>
          `stored the ${provider} key ${res.masked} in ${STORED_IN[res.storedIn] ?? res.storedIn} ` +
          `(profile ${profile})${res.verified ? ', verified' : ', not verified (--skip-verify)'}` +
          `; sylkd uses it from the next request`,
      );
    });

  auth
    .command('status')
    .description('where each provider key comes from (provider, source, masked key, verified when)')
    .action(async (_o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withCredentials(rt, opts, (c, conn, profile) =>
        c.credentialStatus({ profile }, { timeoutMs: 10_000, metadata: conn.metadata }),
      );
      const j = statusJson(res);
      emit(opts, j, () => renderStatus(j, style(rt.color(opts))));
    });

  auth
    .command('logout')
    .description('remove a stored provider key from the keychain and the encrypted file')
    .argument('<provider>', PROVIDERS)
    .action(async (provider: string, _o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withCredentials(rt, opts, (c, conn, profile) =>
        c
          .removeCredential({ provider, profile }, { timeoutMs: 10_000, metadata: conn.metadata })
          .then((r) => ({ ...r, profile })),
      );
      const profile = res.profile;
      emit(opts, { provider, profile, removedFrom: res.removedFrom }, () =>
        res.removedFrom.length === 0
          ? `no stored ${provider} key for profile ${profile} (a key in sylkd's environment, if any, is not affected)`
          : `removed the ${provider} key of profile ${profile} from ${res.removedFrom.map((w) => STORED_IN[w] ?? w).join(' and ')}`,
      );
    });
}
