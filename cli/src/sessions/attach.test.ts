import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { addService, toEventColumns, type ServiceImpl } from '@sylk/proto';
import { connect, unixTarget } from '@sylk/proto/client';
import { SessionService } from '@sylk/proto/session';
import { AttachedSession } from './attach.js';

type Impl = ServiceImpl<(typeof SessionService)['method']>;
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

/** A real gRPC server whose Attach answers with `responses`; every other method is unused. */
async function fakeDaemon(responses: object[]): Promise<{ socket: string; attaches: () => number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-attach-'));
  const socket = join(dir, 's.sock');
  let attaches = 0;
  const impl = Object.fromEntries(
    SessionService.methods.map((m) => [m.localName, () => Promise.reject(new Error(`unused: ${m.name}`))]),
  ) as unknown as Impl;
  impl.attach = async function* () {
    attaches++;
    yield* responses as never[];
    await new Promise((r) => setTimeout(r, 10_000)); // stay open, as a live session does
  };
  const server = new Server();
  addService(server, SessionService, impl);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(unixTarget(socket), ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  cleanups.push(() => {
    server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  return { socket, attaches: () => attaches };
}

function attach(socket: string, events: number[]) {
  return new AttachedSession(
    {
      session: 's1',
      fromSeq: 1,
      tail: 0,
      cols: 80,
      rows: 24,
      maxReconnects: 3,
      connect: () => Promise.resolve(connect(unixTarget(socket))),
    },
    {
      session: () => undefined,
      event: (e) => events.push(e.seq),
      refused: () => undefined,
      reconnecting: () => undefined,
    },
  );
}

describe('AttachedSession', () => {
  it('delivers events sent in columns, in order', async () => {
    const rows = [
      { seq: 1, tsUnixMs: 1, kind: 'user_input', dataJson: '{"text":"hi"}' },
      { seq: 2, tsUnixMs: 2, kind: 'assistant_delta', dataJson: '{"text":"yo"}' },
    ];
    const daemon = await fakeDaemon(toEventColumns(rows).map((value) => ({ msg: { case: 'columns', value } })));
    const seen: number[] = [];
    const a = attach(daemon.socket, seen);
    const run = a.run();
    await expect.poll(() => seen).toEqual([1, 2]);
    a.detach();
    await run;
  });

  it('stops with protocol.malformed_event_columns instead of reconnecting when columns disagree in length', async () => {
    const body = new TextEncoder().encode('{}');
    const daemon = await fakeDaemon([
      {
        msg: {
          case: 'columns',
          value: {
            firstSeq: 1n,
            tsStepMs: [0, 1],
            kinds: ['a'],
            kindIndex: [0, 0],
            dataJson: body,
            dataJsonBytes: [2],
          },
        },
      },
    ]);
    const seen: number[] = [];
    await expect(attach(daemon.socket, seen).run()).rejects.toMatchObject({ code: 'protocol.malformed_event_columns' });
    expect(daemon.attaches()).toBe(1);
    expect(seen).toEqual([]);
  });
});
