/**
 * A hook that turns a planned command into the command actually spawned, e.g. the same argv
 * inside an OS sandbox. Defined here and implemented structurally elsewhere (the sandbox lives in
 * @sylk/security, which tools does not import).
 */
interface CommandWrapInput {
  /** The program and arguments the executor planned (`sh -c …` for shell syntax). */
  file: string;
  args: readonly string[];
  /** Validated working directory. */
  cwd: string;
  /** The child's environment (credential-free, with the call's additions). */
  env: Readonly<Record<string, string>>;
  background: boolean;
}

interface WrappedCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Called once after the process group has ended (e.g. remove a per-command cgroup). */
  release?: () => void;
}

export interface CommandWrapper {
  /** May throw a SylkError to refuse the command (e.g. the sandbox is required but unavailable). */
  wrap(input: CommandWrapInput): WrappedCommand | Promise<WrappedCommand>;
}
