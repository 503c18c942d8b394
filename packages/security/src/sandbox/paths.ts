import { isAbsolute, join, normalize, relative, sep } from 'node:path';

/** Paths under $HOME that hold credentials: never mounted into a sandbox, whatever the config says. */
const HOME_SECRETS: readonly string[] = [
  '.ssh',
  '.aws',
  '.gnupg',
  '.netrc',
  '.git-credentials',
  '.npmrc',
  '.pypirc',
  '.docker',
  '.kube',
  '.azure',
  '.password-store',
  '.pki',
  '.config/sylk',
  '.local/share/sylk',
  '.local/state/sylk',
  '.local/share/keyrings',
  '.config/gcloud',
  '.config/gh',
  '.config/hub',
  '.config/op',
  '.gem/credentials',
  '.cargo/credentials',
  '.cargo/credentials.toml',
  '.mozilla',
  '.thunderbird',
  '.config/google-chrome',
  '.config/chromium',
  '.config/BraveSoftware',
  '.config/microsoft-edge',
  '.config/vivaldi',
  '.config/opera',
  'snap/firefox',
  'snap/chromium',
  'Library/Keychains',
  'Library/Application Support/Google/Chrome',
  'Library/Application Support/Firefox',
  'Library/Cookies',
];

/** Files of the running system that only root should read (masked when sylkd runs as root). */
export const SYSTEM_SECRETS: readonly string[] = [
  '/etc/shadow',
  '/etc/gshadow',
  '/etc/shadow-',
  '/etc/gshadow-',
  '/etc/sudoers',
  '/etc/ssh',
  '/etc/ssl/private',
];

/** Shell start-up and tool config files that run code when the user (not the agent) next starts something. */
export const STARTUP_FILES: readonly string[] = [
  '.bashrc',
  '.bash_profile',
  '.bash_login',
  '.bash_logout',
  '.profile',
  '.zshrc',
  '.zshenv',
  '.zprofile',
  '.zlogin',
  '.config/fish',
  '.gitconfig',
  '.inputrc',
];

/** Inside a project: protected from writes by anything the agent runs. */
export const PROJECT_PROTECTED: readonly string[] = ['.git', '.sylk'];

/** System directories bound read-only (symlinks, as on merged-/usr systems, are recreated as symlinks). */
export const SYSTEM_PATHS: readonly string[] = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/etc',
  '/opt',
  '/nix/store',
  '/snap',
  '/run/current-system',
];

/** Directories under $HOME shared by many things: bind only the PATH entry itself, never the whole directory. */
const GENERIC_HOME_DIRS = new Set(['.local', '.config', 'bin', '.cache', 'Library', 'snap']);

export function expandHome(path: string, homeDir: string): string {
  if (path === '~') return homeDir;
  if (path.startsWith('~/')) return join(homeDir, path.slice(2));
  return path;
}

/** `child` is `parent` or below it (lexically). */
export function isWithin(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export function secretPaths(homeDir: string, extra: readonly string[]): string[] {
  return [...HOME_SECRETS.map((p) => join(homeDir, p)), ...extra.map((p) => normalize(p))];
}

/** The secret a path would expose (it is one, lies inside one, or contains one), if any. */
export function exposedSecret(path: string, secrets: readonly string[]): string | undefined {
  return secrets.find((s) => isWithin(path, s) || isWithin(s, path));
}

/**
 * What to bind read-only so a PATH entry under $HOME keeps working: its install root (the first
 * directory under $HOME: ~/.cargo for ~/.cargo/bin, ~/.nvm for ~/.nvm/versions/node/v20/bin), or
 * the entry itself for shared directories such as ~/.local/bin.
 */
export function toolchainRoot(entry: string, homeDir: string): string | undefined {
  if (!entry.startsWith('/') || !isWithin(entry, homeDir) || normalize(entry) === normalize(homeDir)) return undefined;
  const first = relative(homeDir, entry).split(sep)[0] as string;
  return GENERIC_HOME_DIRS.has(first) ? normalize(entry) : join(homeDir, first);
}

/** Directories a toolchain needs besides its own root (rustup's cargo proxies need ~/.rustup). */
const COMPANIONS: Record<string, readonly string[]> = { '.cargo': ['.rustup'], '.rustup': ['.cargo'] };

export function toolchainCompanions(root: string, homeDir: string): string[] {
  const name = relative(homeDir, root);
  return (COMPANIONS[name] ?? []).map((c) => join(homeDir, c));
}
