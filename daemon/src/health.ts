import {
  status as GrpcStatus,
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** grpc.health.v1.HealthCheckResponse.ServingStatus. */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

const STATUS_NUMBER: Record<ServingStatus, number> = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 };
/** As grpc-health-check: List answers RESOURCE_EXHAUSTED beyond this many services. */
const LIST_LIMIT = 100;

/** HealthCheckRequest { string service = 1; } */
function decodeRequest(bytes: Uint8Array): { service: string } {
  const reader = new BinaryReader(bytes);
  let service = '';
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) service = reader.string();
    else reader.skip(wireType, field);
  }
  return { service };
}

/** HealthCheckResponse { ServingStatus status = 1; } */
function writeResponse(writer: BinaryWriter, status: ServingStatus): BinaryWriter {
  return writer.tag(1, WireType.Varint).int32(STATUS_NUMBER[status]);
}

const encodeResponse = (status: ServingStatus): Buffer =>
  Buffer.from(writeResponse(new BinaryWriter(), status).finish());

/** HealthListResponse { map<string, HealthCheckResponse> statuses = 1; } */
function encodeList(statuses: ReadonlyMap<string, ServingStatus>): Buffer {
  const writer = new BinaryWriter();
  for (const [service, status] of statuses) {
    writer.tag(1, WireType.LengthDelimited).fork();
    writer.tag(1, WireType.LengthDelimited).string(service);
    writeResponse(writer.tag(2, WireType.LengthDelimited).fork(), status).join();
    writer.join();
  }
  return Buffer.from(writer.finish());
}

const unsupported = (): never => {
  throw new Error('sylkd serves the health service; it does not call it');
};

function method(name: string, responseStream: boolean): ServiceDefinition[string] {
  return {
    path: `/grpc.health.v1.Health/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: unsupported,
    requestDeserialize: (bytes: Buffer) => decodeRequest(bytes),
    responseSerialize: (bytes: Buffer) => bytes,
    responseDeserialize: unsupported,
    originalName: name.toLowerCase(),
  };
}

const HEALTH_SERVICE: ServiceDefinition = {
  Check: method('Check', false),
  Watch: method('Watch', true),
  List: method('List', false),
};

/**
 * The standard gRPC health service (grpc.health.v1: Check, Watch, List), as grpc-health-check's
 * HealthImplementation serves it, with the three messages encoded here: that package parses its
 * .proto with protobufjs when it loads, a large part of sylkd's start-up for three small messages.
 */
export class HealthImplementation {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<(status: ServingStatus) => void>>();

  constructor(initial: Readonly<Record<string, ServingStatus>> = {}) {
    for (const [service, status] of Object.entries(initial)) this.statuses.set(service, status);
  }

  setStatus(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const watcher of this.watchers.get(service) ?? []) watcher(status);
  }

  addToServer(server: Server): void {
    const implementation: UntypedServiceImplementation = {
      Check: (call: ServerUnaryCall<{ service: string }, Buffer>, callback: sendUnaryData<Buffer>) => {
        const status = this.statuses.get(call.request.service);
        if (status !== undefined) callback(null, encodeResponse(status));
        else
          callback({
            code: GrpcStatus.NOT_FOUND,
            details: `Health status unknown for service ${call.request.service}`,
          });
      },
      Watch: (call: ServerWritableStream<{ service: string }, Buffer>) => {
        const service = call.request.service;
        const watcher = (status: ServingStatus) => void call.write(encodeResponse(status));
        const watching = this.watchers.get(service) ?? new Set();
        watching.add(watcher);
        this.watchers.set(service, watching);
        call.on('cancelled', () => watching.delete(watcher));
        watcher(this.statuses.get(service) ?? 'SERVICE_UNKNOWN');
      },
      List: (_call: ServerUnaryCall<unknown, Buffer>, callback: sendUnaryData<Buffer>) => {
        if (this.statuses.size > LIST_LIMIT)
          callback({ code: GrpcStatus.RESOURCE_EXHAUSTED, details: 'Too many services to list.' });
        else callback(null, encodeList(this.statuses));
      },
    };
    server.addService(HEALTH_SERVICE, implementation);
  }
}
