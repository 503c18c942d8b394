/** The Node running Sylk and the native modules sylkd loads with it. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { result, type Check, type CheckResult } from './types.js';

type Version = [number, number, number];

const parse = (v: string): Version | undefined => {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/.exec(v.trim());
  if (m === null) return undefined;
  const n = (s: string | undefined) => (s === undefined || s === 'x' || s === '*' ? 0 : Number(s));
  return [n(m[1]), n(m[2]), n(m[3])];
};

const compare = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

function comparatorHolds(v: Version, comparator: string): boolean {
  const m = /^(>=|<=|>|<|=|\^|~)?\s*(.+)$/.exec(comparator);
  const bound = m ? parse(m[2] as string) : undefined;
  if (m === null || bound === undefined) return false;
  const c = compare(v, bound);
  switch (m[1]) {
    case '>=':
      return c >= 0;
    case '>':
      return c > 0;
    case '<=':
      return c <= 0;
    case '<':
      return c < 0;
    case '^':
      return c >= 0 && v[0] === bound[0];
    case '~':
      return c >= 0 && v[0] === bound[0] && v[1] === bound[1];
    default:
      return c === 0;
  }
}

/**
 * Whether `version` satisfies an npm engines range: comparators joined by spaces (and), ranges
 * joined by `||` (or); enough for engines fields, which is all it reads.
 * @internal exported for tests
 */
export function satisfiesRange(version: string, range: string): boolean {
  const v = parse(version);
  if (v === undefined) return false;
  return range.split('||').some((alt) => {
    const comparators = alt
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .split(/\s+/)
      .filter(Boolean);
    return comparators.length > 0 && comparators.every((c) => comparatorHolds(v, c));
  });
}

/** The nearest package.json up from `dir` that declares engines.node: the installed package's own. */
function enginesOf(dir: string): { range: string; file: string } | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const file = join(d, 'package.json');
    if (existsSync(file)) {
      try {
        const range = (JSON.parse(readFileSync(file, 'utf8')) as { engines?: { node?: unknown } }).engines?.node;
        if (typeof range === 'string' && range.trim() !== '') return { range, file };
      } catch {
        // an unreadable package.json says nothing about engines; keep looking up
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

export const nodeCheck: Check = async ({ node, cliDir }) => {
  const engines = enginesOf(cliDir);
  if (engines === undefined)
    return result('node', 'warn', `${node.version}; no engines.node found above ${cliDir}`, 'reinstall sylk');
  if (satisfiesRange(node.version, engines.range))
    return result('node', 'ok', `${node.version} (${node.execPath}) satisfies ${engines.range}`);
  return result(
    'node',
    'fail',
    `${node.version} (${node.execPath}) does not satisfy ${engines.range} (${engines.file})`,
    `install a Node.js release that satisfies ${engines.range} (e.g. \`nvm install 26 && nvm use 26\`), then reinstall Sylk with that Node`,
  );
};

/** Loaded by the Node that runs sylkd, resolved from sylkd's own location, as sylkd loads them. */
const PROBE = `
const r = require('node:module').createRequire(process.argv[1]);
const out = {};
const at = (name) => { try { const p = r.resolve(name); return p.slice(0, p.lastIndexOf('/node_modules/')); } catch { return ''; } };
try {
  const Database = r('better-sqlite3');
  const db = new Database(':memory:');
  db.prepare('select 1').get();
  db.close();
  out.sqlite = { ok: true, prefix: at('better-sqlite3') };
} catch (e) { out.sqlite = { ok: false, error: String((e && e.message) || e), prefix: at('better-sqlite3') }; }
try {
  const k = r('@napi-rs/keyring');
  if (typeof k.Entry !== 'function') throw new Error('it has no Entry class');
  out.keyring = { ok: true, prefix: at('@napi-rs/keyring') };
} catch (e) { out.keyring = { ok: false, error: String((e && e.message) || e), prefix: at('@napi-rs/keyring') }; }
process.stdout.write(JSON.stringify(out));
`;

interface Probe {
  ok: boolean;
  error?: string;
  prefix: string;
}

const firstLine = (s: string) => (s.split('\n')[0] ?? '').slice(0, 300);

export const nativeCheck: Check = async (ctx) => {
  if (ctx.sylkd === undefined)
    return result('native', 'fail', 'cannot find sylkd, so not its native modules either', 'reinstall sylk');
  const r = await ctx.exec(ctx.node.execPath, ['-e', PROBE, ctx.sylkd], 30_000);
  let probe: { sqlite: Probe; keyring: Probe };
  try {
    probe = JSON.parse(r.stdout) as typeof probe;
  } catch {
    return result(
      'native',
      'fail',
      `the probe did not run: ${firstLine(r.stderr) || `exit ${r.code}`}`,
      'reinstall sylk',
    );
  }
  const results: CheckResult[] = [];
  const where = (p: Probe) => (p.prefix ? `cd ${p.prefix} && ` : '');
  results.push(
    probe.sqlite.ok
      ? result('sqlite', 'ok', `better-sqlite3 loads in ${ctx.node.version}`)
      : result(
          'sqlite',
          'fail',
          `better-sqlite3 does not load: ${firstLine(probe.sqlite.error ?? '')}`,
          // A binary built for another Node (NODE_MODULE_VERSION) or a missing one: rebuild it for this Node.
          `${where(probe.sqlite)}npm rebuild better-sqlite3`,
        ),
  );
  results.push(
    probe.keyring.ok
      ? result('keyring', 'ok', '@napi-rs/keyring loads: the system keychain can hold keys')
      : result(
          'keyring',
          'warn',
          `@napi-rs/keyring does not load (${firstLine(probe.keyring.error ?? '')}): keys go to the encrypted file`,
          // Its binary comes as a per-platform optional dependency, which --omit=optional leaves out.
          `${where(probe.keyring)}npm install --include=optional @napi-rs/keyring`,
        ),
  );
  return results;
};
