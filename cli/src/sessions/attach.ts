import type { Client } from '@grpc/grpc-js';
import { createClient, type BidiCall } from '@sylk/proto/client';
import { SessionService, type AttachResponse, type Session } from '@sylk/proto/session';
import { attachedEvents, type EventRow } from '@sylk/proto/event-columns';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { AttachRequestSchema } from '@sylk/proto/session';
import type { ViewEvent } from '../render/session-view.js';

export interface AttachHandlers {
  session(session: Session): void;
  event(event: ViewEvent): void;
  /** An input or decision sent on the stream was refused. */
  refused(message: string, code: string): void;
  /** The connection dropped and is being re-established from `fromSeq`. */
  reconnecting(fromSeq: number, reason: string): void;
}

export interface AttachOptions {
  session: string;
  fromSeq: number;
  tail: number;
  cols: number;
  rows: number;
  /** Silence after which the client assumes the connection died and re-attaches. */
  silenceMs?: number;
  heartbeatMs?: number;
  /** Reconnect attempts before giving up (daemon restarts take a few seconds). */
  maxReconnects?: number;
  connect: () => Promise<Client>;
}

/**
 * One attached client. It replays from `fromSeq`, follows live, and keeps
 * following across dropped connections and daemon restarts by re-attaching from
 * the last sequence it saw — no gap, no duplicate. A connection that goes quiet
 * (no heartbeat) is treated as dropped, so a terminal never freezes silently.
 */
export class AttachedSession {
  lastSeq: number;
  private call: BidiCall<MessageInitShape<typeof AttachRequestSchema>, AttachResponse> | undefined;
  private stopped = false;
  private size: { cols: number; rows: number };

  constructor(
    private readonly opts: AttachOptions,
    private readonly on: AttachHandlers,
  ) {
    this.lastSeq = Math.max(0, opts.fromSeq - 1);
    this.size = { cols: opts.cols, rows: opts.rows };
  }

  send(msg: MessageInitShape<typeof AttachRequestSchema>['msg']): void {
    this.call?.send({ msg } as MessageInitShape<typeof AttachRequestSchema>);
  }

  resize(cols: number, rows: number): void {
    this.size = { cols, rows };
    this.send({ case: 'resize', value: { cols, rows } });
  }

  detach(): void {
    this.stopped = true;
    this.call?.cancel();
  }

  /** Runs until detached, or rejects when the daemon cannot be reached again. */
  async run(): Promise<void> {
    let failures = 0;
    let first = true;
    while (!this.stopped) {
      const channel = await this.opts.connect().catch((err: unknown) => err as Error);
      if (channel instanceof Error) {
        if (++failures > (this.opts.maxReconnects ?? 30)) throw channel;
        await new Promise((r) => setTimeout(r, Math.min(2000, 200 * failures)));
        continue;
      }
      let reason: string;
      try {
        // Transport trouble comes back as a reason to re-attach; a final error (unknown session) throws.
        reason = await this.stream(channel, first);
      } finally {
        channel.close();
      }
      first = false;
      if (this.stopped) return;
      if (reason === 'ended') return;
      if (++failures > (this.opts.maxReconnects ?? 30)) throw new Error(`lost the connection to sylkd: ${reason}`);
      this.on.reconnecting(this.lastSeq + 1, reason);
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * failures)));
    }
  }

  private deliver(e: EventRow): void {
    const seq = e.seq;
    if (seq <= this.lastSeq) return; // already shown before a reconnect
    this.lastSeq = seq;
    let data: Record<string, unknown> = {};
    try {
      data = JSON.parse(e.dataJson || '{}') as Record<string, unknown>;
    } catch {
      data = { raw: e.dataJson };
    }
    this.on.event({ seq, ts: e.tsUnixMs, kind: e.kind, data });
  }

  /** One attach stream; resolves with why it ended. */
  private async stream(channel: Client, first: boolean): Promise<string> {
    const client = createClient(SessionService, channel);
    const call = client.attach();
    this.call = call;
    const fromSeq = this.lastSeq + 1;
    call.send({
      msg: {
        case: 'start',
        value: { session: this.opts.session, fromSeq: BigInt(fromSeq), tail: first ? this.opts.tail : 0, ...this.size },
      },
    });
    let heard = Date.now();
    const silenceMs = this.opts.silenceMs ?? 15_000;
    const watchdog = setInterval(() => {
      call.send({ msg: { case: 'heartbeat', value: { tsUnixMs: BigInt(Date.now()) } } });
      if (Date.now() - heard > silenceMs) call.cancel();
    }, this.opts.heartbeatMs ?? 5_000);
    try {
      for await (const res of call) {
        heard = Date.now();
        const m = res.msg;
        for (const e of attachedEvents(res)) this.deliver(e);
        if (m.case === 'session') this.on.session(m.value);
        else if (m.case === 'resync') {
          call.cancel();
          return `fell behind, re-attaching from ${m.value.fromSeq}`;
        } else if (m.case === 'result' && !m.value.ok) this.on.refused(m.value.error, m.value.errorCode);
      }
      return this.stopped ? 'detached' : 'ended';
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      // A graceful stop or restart of sylkd ends the stream like a crash would: re-attach (the
      // reconnect loop gives up when nothing answers, or at once under --no-autostart).
      if (code === 'shutting_down') return 'sylkd stopped';
      // Unknown session and the like are final; transport trouble is retried.
      if (code !== '' && !code.startsWith('grpc.')) throw err;
      if (code === 'grpc.cancelled' && this.stopped) return 'detached';
      return (err as Error).message;
    } finally {
      clearInterval(watchdog);
      this.call = undefined;
    }
  }
}
