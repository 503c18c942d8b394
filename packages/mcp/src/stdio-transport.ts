import { spawn, type ChildProcess } from 'node:child_process';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { InvalidMessageError } from './invalid-message.js';

const STDERR_TAIL_BYTES = 2048;
/** A server may send one message this large at most; past it the stream is broken. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface SpawnSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Called once after the process has ended (the sandbox's per-command cleanup). */
  release?: () => void;
}

/**
 * The SDK's stdio transport, spawned the way Sylk spawns commands: the exact argv the sandbox
 * produced, its own process group (killed whole on close), the environment given and nothing
 * else, stderr kept as a short tail for error messages, and the exit status recorded.
 */
export class SylkStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private child: ChildProcess | undefined;
  private readonly buffer = new ReadBuffer({ maxBufferSize: MAX_MESSAGE_BYTES });
  private stderr = '';
  /** How the process ended: `exit code 1`, `signal SIGKILL`. */
  exit: string | undefined;

  constructor(private readonly spec: SpawnSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last bytes the server wrote to stderr. */
  stderrTail(): string {
    return this.stderr.trim();
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.spec.file, this.spec.args, {
        cwd: this.spec.cwd,
        env: this.spec.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
        shell: false,
      });
      this.child = child;
      child.once('error', (err) => {
        this.exit ??= err.message;
        reject(err);
        this.onerror?.(err);
      });
      child.once('spawn', () => resolve());
      child.once('close', (code, signal) => {
        this.exit ??= signal !== null ? `signal ${signal}` : `exit code ${code ?? '?'}`;
        this.child = undefined;
        this.spec.release?.();
        this.onclose?.();
      });
      child.stdin?.on('error', (err) => this.onerror?.(err));
      child.stdout?.on('data', (chunk: Buffer) => {
        try {
          this.buffer.append(chunk);
        } catch (err) {
          this.onerror?.(err as Error);
          void this.close();
          return;
        }
        this.drain();
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      });
    });
  }

  /** Every complete line is one message; a line that is not JSON-RPC is reported and skipped. */
  private drain(): void {
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.buffer.readMessage();
      } catch (err) {
        this.onerror?.(new InvalidMessageError(err as Error));
        continue;
      }
      if (message === null) return;
      this.onmessage?.(message);
    }
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.child?.stdin;
      if (stdin === undefined || stdin === null || stdin.destroyed) {
        reject(new Error('the server process is not running'));
        return;
      }
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /** Ends stdin, then kills the process group (TERM, then KILL) if it does not exit. */
  async close(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const wait = (ms: number) =>
      Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
    child.stdin?.end();
    if (await wait(500)) return;
    killGroup(child, 'SIGTERM');
    if (await wait(2000)) return;
    killGroup(child, 'SIGKILL');
    await wait(2000);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}
