import { Duplex } from 'node:stream';
import type {
  Server,
  ServerDuplexStream,
  ServiceDefinition,
  UntypedHandleCall,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type * as GrpcReflection from '@grpc/reflection';
import { ALL_FILES, fileDescriptorProtos } from '@sylk/proto';

type Registration = { definition: ServiceDefinition; implementation: UntypedServiceImplementation };

/** The methods @grpc/reflection serves (v1 and v1alpha), registered before it is loaded. */
const REFLECTION_SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'];
const METHOD = 'ServerReflectionInfo';

/** Everything a ReflectionService for every sylk.v1 service registers, captured instead of added to a server. */
async function loadReflection(): Promise<Registration[]> {
  const loaded: typeof GrpcReflection = await import('@grpc/reflection');
  // In sylkd's bundle (daemon/build.mjs) a CommonJS module imported on demand arrives as its default export.
  const { ReflectionService } =
    'ReflectionService' in loaded ? loaded : (loaded as { default: typeof GrpcReflection }).default;
  const pkg = { 'sylk.v1': { fileDescriptorProtos: fileDescriptorProtos(ALL_FILES) } };
  const service = new ReflectionService(pkg as unknown as ConstructorParameters<typeof ReflectionService>[0]);
  const found: Registration[] = [];
  service.addToServer({ addService: (definition, implementation) => void found.push({ definition, implementation }) });
  return found;
}

const passThrough = (bytes: Buffer): Buffer => bytes;

/**
 * gRPC server reflection (what grpcurl lists and describes) for every sylk.v1 service. No start
 * needs it, and @grpc/reflection parses its .proto files with protobufjs as it loads: the methods
 * are registered now with the bytes passed through, and the first call loads the library, indexes
 * the descriptors and hands it the call with the library's own (de)serialization around it. The
 * call's messages wait in its stream meanwhile.
 */
export function addReflection(server: Server): void {
  let loaded: Promise<Registration[]> | undefined;
  for (const service of REFLECTION_SERVICES) {
    const path = `/${service}/${METHOD}`;
    const definition: ServiceDefinition = {
      [METHOD]: {
        path,
        requestStream: true,
        responseStream: true,
        requestSerialize: passThrough,
        requestDeserialize: passThrough,
        responseSerialize: passThrough,
        responseDeserialize: passThrough,
      },
    };
    const handle = (call: ServerDuplexStream<Buffer, Buffer>) => {
      loaded ??= loadReflection();
      loaded.then(
        (registrations) => {
          const found = registrations.find((r) => Object.values(r.definition)[0]?.path === path);
          const real = found && Object.entries(found.definition)[0];
          if (found === undefined || real === undefined) throw new Error(`@grpc/reflection does not serve ${path}`);
          const [name, method] = real;
          const messages = new Duplex({
            objectMode: true,
            read: () => undefined,
            write: (message: unknown, _encoding, done) => {
              call.write(method.responseSerialize(message));
              done();
            },
            final: (done) => {
              call.end();
              done();
            },
          });
          call.on('data', (bytes: Buffer) => messages.push(method.requestDeserialize(bytes)));
          call.on('end', () => messages.push(null));
          call.on('cancelled', () => messages.destroy());
          (found.implementation[name] as unknown as (stream: Duplex) => void)(messages);
        },
        // grpc-js ends a stream that emits 'error' with an error status carrying the message.
        (err: unknown) => call.emit('error', err instanceof Error ? err : new Error(String(err))),
      );
    };
    server.addService(definition, { [METHOD]: handle as UntypedHandleCall });
  }
}
