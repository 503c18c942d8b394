/**
 * A generic gRPC client built only from the .proto files (proto-loader at test
 * time, no generated code of ours) talks to a real sylkd: proof that the API is
 * plain gRPC that grpcurl and other languages can use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { makeHome, ROOT, startForeground, type SylkHome } from '../helpers/sylk.js';

const require = createRequire(import.meta.url);
const healthProto = join(
  dirname(require.resolve('grpc-health-check/package.json', { paths: [join(ROOT, 'daemon')] })),
  'proto',
  'health',
  'v1',
  'health.proto',
);
const reflectionProto = join(
  dirname(require.resolve('@grpc/reflection/package.json', { paths: [join(ROOT, 'daemon')] })),
  'build',
  'proto',
  'grpc',
  'reflection',
  'v1',
  'reflection.proto',
);

type Unary = (req: object, cb: (err: grpc.ServiceError | null, res: Record<string, unknown>) => void) => void;
interface GenericClient extends grpc.Client {
  [method: string]: unknown;
}

function load(file: string, includeDirs: string[]) {
  return grpc.loadPackageDefinition(
    protoLoader.loadSync(file, { includeDirs, keepCase: false, longs: Number, enums: String, defaults: true }),
  );
}
function call(client: GenericClient, method: string, req: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) =>
    (client[method] as Unary).call(client, req, (err, res) => (err ? reject(err) : resolve(res))),
  );
}
function lookup(pkg: grpc.GrpcObject, path: string): grpc.ServiceClientConstructor {
  return path
    .split('.')
    .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], pkg) as grpc.ServiceClientConstructor;
}

let h: SylkHome;
beforeAll(async () => {
  h = makeHome();
  await startForeground(h);
});
afterAll(async () => h.cleanup());

/** A unary call with headers; resolves with the response and the daemon's response headers. */
function callWith(
  client: GenericClient,
  method: string,
  req: object,
  headers: Record<string, string>,
): Promise<{ res: Record<string, unknown>; daemon: string | undefined }> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  let daemon: string | undefined;
  return new Promise((resolve, reject) => {
    const c = (
      client[method] as (
        r: object,
        m: grpc.Metadata,
        cb: (err: grpc.ServiceError | null, res: Record<string, unknown>) => void,
      ) => grpc.ClientUnaryCall
    ).call(client, req, md, (err, res) => (err ? reject(err) : resolve({ res, daemon })));
    c.on('metadata', (m: grpc.Metadata) => (daemon = String(m.get('sylk-peer')[0] ?? '')));
  });
}

describe('interoperability with generic gRPC clients', () => {
  it('the version handshake rides in headers: another protocol is refused before any handler, Hello is exempt', async () => {
    const pkg = load('sylk/v1/daemon.proto', [join(ROOT, 'proto')]);
    const Daemon = lookup(pkg, 'sylk.v1.DaemonService');
    const client = new Daemon(`unix:${h.socket}`, grpc.credentials.createInsecure()) as unknown as GenericClient;
    const ok = await callWith(client, 'Status', {}, { 'sylk-protocol': '2', 'sylk-peer': 'grpcurl/1.0' });
    expect(ok.daemon).toBe('sylkd/0.1.0');
    const refused = await callWith(client, 'Status', {}, { 'sylk-protocol': '3', 'sylk-peer': 'sylk/3.0.0' }).catch(
      (e: grpc.ServiceError) => e,
    );
    expect(refused).toMatchObject({ code: grpc.status.FAILED_PRECONDITION });
    const err = refused as grpc.ServiceError;
    expect(err.details).toContain('protocol mismatch: sylk 3.0.0 speaks v3, sylkd 0.1.0 speaks v2');
    expect(err.metadata.get('sylk-error-code')).toEqual(['version_mismatch']);
    expect(err.metadata.get('sylk-error-hint')[0]).toContain('sylk daemon restart');
    // Hello answers any protocol (so does Shutdown, so that restart works across an upgrade).
    const hello = await callWith(
      client,
      'Hello',
      { clientVersion: '3.0.0', protocolMajor: 3, clientName: 'sylk' },
      { 'sylk-protocol': '3' },
    );
    expect(hello.res).toMatchObject({ compatible: false, protocolMajor: 2 });
    client.close();
  });

  it('DaemonService.Status through a client generated from daemon.proto alone', async () => {
    const pkg = load('sylk/v1/daemon.proto', [join(ROOT, 'proto')]);
    const Daemon = lookup(pkg, 'sylk.v1.DaemonService');
    const client = new Daemon(`unix:${h.socket}`, grpc.credentials.createInsecure()) as unknown as GenericClient;
    const status = await call(client, 'Status', {});
    expect(status).toMatchObject({ state: 'DAEMON_STATE_READY', socketPath: h.socket, protocolMajor: 2 });
    expect(typeof status.pid).toBe('number');
    client.close();
  });

  it('grpc.health.v1.Health reports SERVING overall and per service', async () => {
    const pkg = load(healthProto, []);
    const Health = lookup(pkg, 'grpc.health.v1.Health');
    const client = new Health(`unix:${h.socket}`, grpc.credentials.createInsecure()) as unknown as GenericClient;
    expect(await call(client, 'Check', { service: '' })).toEqual({ status: 'SERVING' });
    expect(await call(client, 'Check', { service: 'sylk.v1.DaemonService' })).toEqual({ status: 'SERVING' });
    await expect(call(client, 'Check', { service: 'no.such.Service' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    const listed = (await call(client, 'List', {})) as { statuses: Record<string, { status: string }> };
    expect(listed.statuses['']).toEqual({ status: 'SERVING' });
    expect(listed.statuses['sylk.v1.SessionService']).toEqual({ status: 'SERVING' });
    // Watch answers at once with the current status (SERVICE_UNKNOWN for a service it does not know).
    for (const [service, status] of [
      ['sylk.v1.ConfigService', 'SERVING'],
      ['no.such.Service', 'SERVICE_UNKNOWN'],
    ]) {
      const watch = (client.Watch as (req: object) => grpc.ClientReadableStream<{ status: string }>).call(client, {
        service,
      });
      const first = await new Promise((resolve, reject) => {
        watch.once('data', resolve);
        watch.once('error', reject);
      });
      expect(first).toEqual({ status });
      watch.on('error', () => undefined); // the cancellation below
      watch.cancel();
    }
    client.close();
  });

  it('server reflection lists the services and serves their descriptors', async () => {
    const pkg = load(reflectionProto, []);
    const Reflection = lookup(pkg, 'grpc.reflection.v1.ServerReflection');
    const client = new Reflection(`unix:${h.socket}`, grpc.credentials.createInsecure()) as unknown as GenericClient;
    const stream = (client.ServerReflectionInfo as () => grpc.ClientDuplexStream<object, Record<string, unknown>>).call(
      client,
    );
    const responses: Record<string, unknown>[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (d: Record<string, unknown>) => {
        responses.push(d);
        if (responses.length === 2) stream.end();
      });
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    stream.write({ listServices: '' });
    stream.write({ fileContainingSymbol: 'sylk.v1.ConfigService' });
    await done;
    const services = (responses[0]?.listServicesResponse as { service: { name: string }[] }).service.map((s) => s.name);
    expect(services).toEqual(expect.arrayContaining(['sylk.v1.DaemonService', 'sylk.v1.ConfigService']));
    const files = (responses[1]?.fileDescriptorResponse as { fileDescriptorProto: Buffer[] }).fileDescriptorProto;
    const text = Buffer.concat(files).toString('latin1');
    expect(text).toContain('ConfigService');
    expect(text).toContain('GetConfigRequest');
    client.close();
  });

  it('Attach sends events as EventColumns that a reader of session.proto alone decodes to what ReadEvents returns', async () => {
    const pkg = load('sylk/v1/session.proto', [join(ROOT, 'proto')]);
    const Sessions = lookup(pkg, 'sylk.v1.SessionService');
    const client = new Sessions(`unix:${h.socket}`, grpc.credentials.createInsecure()) as unknown as GenericClient;
    const project = mkdtempSync(join(h.home, 'interop-project-'));
    const created = await call(client, 'CreateSession', { projectRoot: project, name: 'interop' });
    const id = (created.session as { id: string }).id;
    const stored: Row[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = (
        client.ReadEvents as (req: object) => grpc.ClientReadableStream<{ event: Row & { sessionId: string } }>
      ).call(client, { session: id, fromSeq: 1 });
      s.on('data', (d) =>
        stored.push({ seq: d.event.seq, tsUnixMs: d.event.tsUnixMs, kind: d.event.kind, dataJson: d.event.dataJson }),
      );
      s.on('end', () => resolve());
      s.on('error', reject);
    });
    expect(stored.length).toBeGreaterThan(0);
    const columns = await attachOnce(client, id, stored.length);
    expect(columns.forms).toEqual(['columns']);
    expect(columns.rows).toEqual(stored);
    client.close();
  });
});

interface Row {
  seq: number;
  tsUnixMs: number;
  kind: string;
  dataJson: string;
}
type AttachOut = {
  columns?: {
    firstSeq: number;
    firstTsUnixMs: number;
    tsStepMs: number[];
    kinds: string[];
    kindIndex: number[];
    dataJson: Buffer;
    dataJsonBytes: number[];
  } | null;
};

/** Attach from seq 1 until `count` events have arrived; which message forms carried them, and the events. */
function attachOnce(client: GenericClient, session: string, count: number): Promise<{ forms: string[]; rows: Row[] }> {
  const stream = (client.Attach as () => grpc.ClientDuplexStream<object, AttachOut>).call(client);
  const forms = new Set<string>();
  const rows: Row[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (d: AttachOut) => {
      if (d.columns) {
        forms.add('columns');
        // Decoded from session.proto's description of the layout alone.
        const c = d.columns;
        let ts = c.firstTsUnixMs;
        let offset = 0;
        c.tsStepMs.forEach((step, i) => {
          ts += step;
          const end = offset + c.dataJsonBytes[i]!;
          rows.push({
            seq: c.firstSeq + i,
            tsUnixMs: ts,
            kind: c.kinds[c.kindIndex[i]!]!,
            dataJson: c.dataJson.subarray(offset, end).toString('utf8'),
          });
          offset = end;
        });
      }
      if (rows.length >= count) {
        stream.cancel();
        resolve({ forms: [...forms], rows: rows.slice(0, count) });
      }
    });
    stream.on('error', (err: grpc.ServiceError) => (err.code === grpc.status.CANCELLED ? undefined : reject(err)));
    stream.on('end', () => reject(new Error(`Attach ended after ${rows.length} of ${count} events`)));
    stream.write({ start: { session, fromSeq: 1 } });
  });
}
