export interface CachePolicy {
  /** Tool name used by `invalidate(tool)`. */
  tool: string;
  /** Command-line globs (after normalization) that this policy covers. */
  commands: string[];
  /** Extra condition on the argv, e.g. tsc only with --noEmit. */
  when?: (argv: string[]) => boolean;
  /** Globs under cwd whose contents are part of the key. */
  inputs: string[];
  /** Watcher globs that drop this tool's entries (default: inputs). */
  invalidateOn?: string[];
  ttlMs?: number;
}

const JS = '**/*.{js,jsx,ts,tsx,mjs,cjs,mts,cts,vue,svelte}';
const CONFIGS = ['**/package.json', '**/tsconfig*.json', '**/.eslintrc*', '**/eslint.config.*', '**/.prettierrc*', '**/prettier.config.*', '**/.editorconfig'];

/** Deterministic tools only: output is a function of the inputs. Never tests or installs. */
export const DEFAULT_CACHE_POLICIES: CachePolicy[] = [
  { tool: 'eslint', commands: ['eslint *', 'npx eslint *'], inputs: [JS, ...CONFIGS] },
  { tool: 'prettier', commands: ['prettier *', 'npx prettier *'], when: (a) => !a.some((x) => x === '--write' || x === '-w'), inputs: ['**/*.{js,jsx,ts,tsx,mjs,cjs,json,md,css,scss,html,yaml,yml}', ...CONFIGS] },
  { tool: 'tsc', commands: ['tsc*', 'npx tsc*'], when: (a) => a.includes('--noEmit') && !a.some((x) => x === '-w' || x === '--watch'), inputs: [JS, '**/*.d.ts', ...CONFIGS] },
  { tool: 'go vet', commands: ['go vet*'], inputs: ['**/*.go', '**/go.mod', '**/go.sum'] },
];
