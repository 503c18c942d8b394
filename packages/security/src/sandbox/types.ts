/** What `security.sandbox.*` asks for, in the shape the sandbox uses (the daemon maps config to it). */
export interface SandboxPolicy {
  enabled: boolean;
  /** Refuse commands when the sandbox is unavailable (otherwise they run unsandboxed, with a notice). */
  required: boolean;
  /** Extra paths bound read-only (`~` allowed). */
  readOnlyPaths: string[];
  /** Extra paths bound read-write, e.g. toolchain caches (`~/.npm`, `~/.cargo`). */
  writablePaths: string[];
  limits: SandboxLimits;
}

export interface SandboxLimits {
  cpuSeconds: number;
  memoryMb: number;
  openFiles: number;
  processes: number;
}

/** @internal exported for tests */
export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  cpuSeconds: 600,
  memoryMb: 4096,
  openFiles: 1024,
  processes: 256,
};

export type SandboxBackend = 'bubblewrap' | 'seatbelt' | 'none';

/** What the probe found: can commands be contained here, and if not, why and how to fix it. */
export interface SandboxProbe {
  available: boolean;
  backend: SandboxBackend;
  /** Empty when available. */
  reason: string;
  /** The exact command or setting that makes it available; empty when available. */
  fix: string;
  /** Absolute paths of helper programs, when found. */
  bwrapPath?: string;
  socatPath?: string;
  prlimitPath?: string;
  /** Root running bwrap: capabilities must be dropped explicitly, RLIMIT_NPROC does not bind. */
  runningAsRoot: boolean;
}

/** One line of "what is mounted how" (SandboxStatus.mounts). */
export interface MountEntry {
  mode: 'ro' | 'rw' | 'tmpfs' | 'proc' | 'dev' | 'hidden' | 'symlink' | 'socket';
  path: string;
  note?: string;
}

/** Per-session network bridge: the proxy's Unix socket on the host (from the proxy module). */
export interface SandboxNetwork {
  proxySocketPath?: string;
}

/** Where sandboxed commands reach the proxy inside the sandbox. */
export const SANDBOX_PROXY_SOCKET = '/run/sylk/proxy.sock';
export const SANDBOX_PROXY_PORT = 3128;
