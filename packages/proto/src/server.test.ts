import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials, type Client } from '@grpc/grpc-js';
import { ErrorTier, SylkError, isSylkError } from '@sylk/core';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createClient, unixTarget, type TypedClient } from './client.js';
import { SessionService, type AttachRequest } from './gen/sylk/v1/session_pb.js';
import { addService, type ServiceImpl } from './server.js';

type Impl = ServiceImpl<typeof SessionService.method>;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A real grpc-js server on a Unix socket with `overrides` as its SessionService; the rest throw. */
async function serve(overrides: Partial<Impl>): Promise<TypedClient<typeof SessionService.method>> {
  const impl: Record<string, unknown> = {};
  for (const m of SessionService.methods) {
    impl[m.localName] = () => {
      throw new Error(`${m.name} is not part of this test`);
    };
  }
  Object.assign(impl, overrides);
  const server = new Server();
  addService(server, SessionService, impl as Impl);
  const dir = mkdtempSync(join(tmpdir(), 'sylk-proto-server-'));
  const target = unixTarget(join(dir, 's.sock'));
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(target, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  const channel: Client = connect(target);
  cleanups.push(() => {
    channel.close();
    server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  return createClient(SessionService, channel);
}

const behind = () =>
  new SylkError('reader fell behind; read again from 7', {
    code: 'aborted',
    tier: ErrorTier.Transient,
    hint: 'read again',
  });

/** Reads a stream to its end; what arrived and how it ended. */
async function drain<T>(stream: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of stream) items.push(item);
    return { items, error: undefined };
  } catch (error) {
    return { items, error };
  }
}

describe('streaming handlers that fail', () => {
  // Before, a failed stream was destroyed: the messages still buffered were dropped and no status
  // was ever sent, so the client waited for ever (the test would time out).
  it.each([0, 3, 2000])(
    'deliver the %i messages written, then the error as the status (server streaming)',
    async (count) => {
      const client = await serve({
        async *readEvents() {
          for (let i = 1; i <= count; i++)
            yield { event: { seq: BigInt(i), kind: 'notice', dataJson: JSON.stringify({ text: 'x'.repeat(200) }) } };
          throw behind();
        },
      });
      const { items, error } = await drain(client.readEvents({ session: 's' }));
      expect(items.map((r) => Number(r.event?.seq))).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      expect(isSylkError(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'aborted',
        tier: ErrorTier.Transient,
        message: 'reader fell behind; read again from 7',
        hint: 'read again',
      });
    },
  );

  it('deliver what was written, then the error, on a bidirectional stream', async () => {
    const client = await serve({
      async *attach(requests: AsyncIterable<AttachRequest>) {
        for await (const req of requests) {
          if (req.msg.case !== 'input') continue;
          yield { msg: { case: 'result', value: { ok: true } } };
          throw new SylkError(`unknown session "${req.msg.value.text}"`, {
            code: 'not_found',
            tier: ErrorTier.UserFixable,
          });
        }
      },
    });
    const call = client.attach();
    call.send({ msg: { case: 'input', value: { text: 'nope' } } });
    const { items, error } = await drain(call);
    expect(items.map((r) => r.msg.case)).toEqual(['result']);
    expect(error).toMatchObject({ code: 'not_found', message: 'unknown session "nope"' });
  });

  it('a plain Error becomes an internal status with its message', async () => {
    const client = await serve({
      async *readEvents() {
        throw new Error('disk went away');
      },
    });
    const { items, error } = await drain(client.readEvents({ session: 's' }));
    expect(items).toEqual([]);
    expect(error).toMatchObject({ code: 'internal', message: 'disk went away' });
  });
});
