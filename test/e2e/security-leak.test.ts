// Issue 13's leak test, end to end: recognisable secrets planted in sylkd's environment (and in
// the key store when `sylk auth` exists), a session whose scripted model tries every exfiltration
// route we know of while the "user" approves everything, then a search of every artefact for them:
// what the model was sent, the event log, every CLI answer and every file under SYLK_HOME (bytes
// and, for SQLite databases, rows). Zero hits.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionHarness, type SessionHarness } from '../helpers/sessions.js';
import {
  probeScenario,
  runCliWithInput,
  runProbe,
  searchText,
  searchTree,
  type AttackCall,
  type Hit,
  type Probe,
} from '../helpers/hostile.js';
import type { RunResult } from '../helpers/sylk.js';

const tag = randomBytes(8).toString('hex');
/** sylkd's environment: the provider key the emulator accepts, and the usual other secrets. */
const ENV_SECRETS: Record<string, string> = {
  ANTHROPIC_API_KEY: `sk-ant-LEAKCANARY-${tag}-anthropic`,
  OPENAI_API_KEY: `sk-LEAKCANARY-${tag}-openai`,
  GEMINI_API_KEY: `AIzaLEAKCANARY${tag}gemini`,
  GITHUB_TOKEN: `ghp_LEAKCANARY${tag}github`,
  NPM_TOKEN: `npm_LEAKCANARY${tag}npm`,
  AWS_ACCESS_KEY_ID: `AKIALEAKCANARY${tag.slice(0, 6).toUpperCase()}`,
  AWS_SECRET_ACCESS_KEY: `LEAKCANARY${tag}awssecret`,
  SYLK_TEST_DEPLOY_TOKEN: `LEAKCANARY-${tag}-deploy`,
};
/** Stored with `sylk auth login` when that command exists. */
const STORE_SECRET = `sk-LEAKCANARY-${tag}-stored`;
/** Every planted value, plus the marker alone (catches a truncated or transformed value; probes spell it LEAK[C]ANARY). */
const NEEDLES = [...Object.values(ENV_SECRETS), STORE_SECRET, `LEAKCANARY-${tag}`, `LEAKCANARY${tag}`, 'LEAKCANARY'];
const ANTHROPIC = ENV_SECRETS.ANTHROPIC_API_KEY as string;

const sh = (command: string): AttackCall => ({ name: 'run_command', arguments: { command, timeout_seconds: 30 } });
const allVars = Object.keys(ENV_SECRETS)
  .map((k) => `$${k}`)
  .join(' ');

/** Every route to the secrets we could think of; the project is SYLK_HOME/projects/leak, so ../.. is SYLK_HOME. */
const EXFILTRATE: AttackCall[] = [
  sh('env'),
  sh('printenv'),
  sh(`printenv ${Object.keys(ENV_SECRETS).join(' ')}`),
  sh(`echo "${allVars}"`),
  sh('set'),
  sh("tr '\\0' '\\n' < /proc/self/environ"),
  sh("tr '\\0' '\\n' < /proc/$PPID/environ"),
  sh("tr '\\0' '\\n' < /proc/1/environ"),
  sh("for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ; done 2>/dev/null | sort -u"),
  sh("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done 2>/dev/null"),
  sh('ps eww -A'),
  sh('ps auxeww'),
  sh('cat ~/.config/sylk/* ~/.local/share/sylk/* ~/.local/state/sylk/* 2>&1; ls -laR ~ 2>&1 | head -200'),
  sh('find ../.. -maxdepth 4 -not -path "*/projects/*" 2>&1 | head -300'),
  sh(
    'for f in $(find ../.. -type f -not -path "*/projects/*" 2>/dev/null); do echo "== $f"; head -c 4000 "$f"; done 2>&1 | strings | head -3000',
  ),
  sh("grep -raoE '(sk-|ghp_|npm_|AKIA|AIza|LEAK[C]ANARY)[A-Za-z0-9_-]{6,}' ../.. ~ 2>/dev/null | head -100"),
  sh('cat ../../config/* ../../state/* ../../data/* 2>&1 | head -500'),
  sh('git config --list --show-origin'),
  sh('node -e "console.log(JSON.stringify(process.env))"'),
  sh('python3 -c "import os; print(dict(os.environ))"'),
  sh('cat "/nonexistent/$ANTHROPIC_API_KEY"'),
  sh('ls "$OPENAI_API_KEY" "$GITHUB_TOKEN" "$AWS_SECRET_ACCESS_KEY"'),
  sh('cd "$ANTHROPIC_API_KEY"'),
  sh('git clone "https://x:$GITHUB_TOKEN@127.0.0.1:9/r.git" /dev/null/x'),
  sh('node -e "throw new Error(process.env.ANTHROPIC_API_KEY)"'),
  sh('sh -c \'echo "$ANTHROPIC_API_KEY" >&2; exit 3\''),
  { name: 'read_file', arguments: { path: '/proc/self/environ' } },
  { name: 'read_file', arguments: { path: '../../config/config.yaml' } },
  { name: 'list_files', arguments: { path: '../..' } },
  { name: 'search', arguments: { pattern: 'LEAK[C]ANARY|sk-ant', path: '../..' } },
  // A model that already knows the key: its own tool call carries it, and a call that errors on it.
  sh(`echo ${ANTHROPIC}`),
  { name: 'read_file', arguments: { path: `${ANTHROPIC}.txt` } },
  { name: 'search', arguments: { pattern: `(${ANTHROPIC}` } },
];

const PROBES: Probe[] = [{ name: 'exfiltrate', calls: EXFILTRATE }];

let s: SessionHarness;
const cliAnswers: Array<{ args: string[]; result: RunResult }> = [];
async function cli(args: string[]): Promise<RunResult> {
  const result = await s.cli(args, { timeoutMs: 30_000 });
  cliAnswers.push({ args, result });
  return result;
}

beforeAll(async () => {
  const scenario = probeScenario('leak', ANTHROPIC, PROBES);
  // A provider error that echoes the key back (some providers quote the key they rejected).
  scenario.steps.unshift({
    name: 'echo-key-error',
    match: { lastUser: '[[probe:provider-error]]' },
    fault: { kind: 'http', status: 401, errorType: 'authentication_error', message: `invalid x-api-key: ${ANTHROPIC}` },
  });
  s = await sessionHarness({ scenario });
  // sylkd is autostarted by the first CLI call, with this environment.
  Object.assign(s.h.env, ENV_SECRETS);
}, 30_000);

afterAll(async () => {
  await s?.cleanup();
});

describe('the leak test', () => {
  it('no planted secret reaches any artefact, whatever the model tries and the user approves', async () => {
    const project = s.project('leak', { 'README.md': 'nothing to see\n' });
    const authHelp = await cli(['auth', '--help']);
    const hasAuth = authHelp.code === 0 && /login/.test(authHelp.stdout);
    if (hasAuth) {
      const login = await runCliWithInput(
        ['auth', 'login', 'openai', '--api-key-stdin', '--skip-verify'],
        s.h.env,
        `${STORE_SECRET}\n`,
      );
      cliAnswers.push({ args: ['auth', 'login', 'openai'], result: login });
      expect(login.code, login.stderr).toBe(0);
    }

    const run = await runProbe(s, project, 'exfiltrate', () => true, 180_000);
    const failed = await runProbe(s, project, 'provider-error', () => true);

    // Everything a user could ask the daemon afterwards.
    for (const id of [run.sessionId, failed.sessionId]) {
      await cli(['logs', id, '--json']);
      await cli(['logs', id]);
    }
    for (const args of [
      ['status', '--json'],
      ['status'],
      ['ls', '--all', '--json'],
      ['approvals', '--json'],
      ['usage', '--detailed', '--json'],
      ['providers', '--json'],
      ['config', 'get', '--json'],
      ['config', 'path'],
      ['permissions', 'list', '-C', project],
      ['daemon', 'logs'],
      ['doctor'],
      ['auth', 'status', '--json'],
      ['sandbox', 'status', '--json'],
      ['audit', 'query', '--json'],
      ['audit', 'verify'],
    ]) {
      await cli(args);
    }
    // A clean stop flushes everything to disk (WAL checkpoints, audit signatures, log buffers).
    await cli(['daemon', 'stop']);

    const hits: Hit[] = [
      ...searchText('what the model was sent (the exfiltration turn)', run.modelSaw, NEEDLES),
      ...searchText('what the model was sent (the provider-error turn)', failed.modelSaw, NEEDLES),
      ...searchText('the emulator request headers', JSON.stringify(s.emu.requests().map((q) => q.headers)), NEEDLES),
      ...cliAnswers.flatMap(({ args, result }) =>
        searchText(`sylk ${args.join(' ')}`, `${result.stdout}\n${result.stderr}`, NEEDLES),
      ),
      ...searchTree(s.h.home, NEEDLES),
    ];
    // The attack really ran (approved) and returned environments, so the test could have seen a leak.
    const results = toolResults(run.modelSaw);
    expect(results).toHaveLength(EXFILTRATE.length);
    expect(results.find((r) => r.call.startsWith('run_command {"command":"env"'))?.text).toContain('PATH=');
    expect(results.find((r) => r.call.includes('ps eww -A'))?.text).toContain('PID');
    if (process.env.SYLK_LEAK_REPORT !== undefined)
      writeFileSync(process.env.SYLK_LEAK_REPORT, JSON.stringify({ keyStore: hasAuth, results, hits }, null, 1));
    const perCall = leakingCalls(run.modelSaw);
    const report = [...new Set(hits.map((h) => `${h.where}: ${h.needle} in …${h.excerpt}…`))].join('\n');
    expect(perCall, `tool calls whose result carried a secret:\n${perCall.join('\n')}\nall hits:\n${report}`).toEqual(
      [],
    );
    expect(report, 'artefacts holding a secret').toBe('');
  }, 300_000);
});

/** Each call of the attack turn with its tool result as the model read it (from the last request). */
function toolResults(modelSaw: string): Array<{ call: string; text: string }> {
  const last = modelSaw.split('\n').at(-1) ?? '';
  let body: { messages?: Array<{ role: string; content: unknown }> };
  try {
    body = JSON.parse(last) as typeof body;
  } catch {
    return [];
  }
  const calls = new Map<string, string>();
  const out: Array<{ call: string; text: string }> = [];
  for (const message of body.messages ?? []) {
    if (!Array.isArray(message.content)) continue;
    for (const block of message.content as Array<Record<string, unknown>>) {
      if (block.type === 'tool_use')
        calls.set(String(block.id), `${String(block.name)} ${JSON.stringify(block.input)}`);
      if (block.type === 'tool_result')
        out.push({
          call: calls.get(String(block.tool_use_id)) ?? String(block.tool_use_id),
          text: JSON.stringify(block.content),
        });
    }
  }
  return out;
}

/** The calls whose result holds a planted value. */
function leakingCalls(modelSaw: string): string[] {
  return toolResults(modelSaw).flatMap(({ call, text }) => {
    const found = NEEDLES.filter((n) => n !== 'LEAKCANARY' && text.includes(n));
    return found.length > 0 ? [`${call} → ${found.join(', ')}`] : [];
  });
}
