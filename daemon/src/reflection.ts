import type { Server, ServiceDefinition, UntypedHandleCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { ALL_FILES, fileDescriptorProtos } from '@sylk/proto';

type Registrations = Array<{ definition: ServiceDefinition; implementation: UntypedServiceImplementation }>;

/** What a ReflectionService registers (v1 and v1alpha), captured instead of added to a server. */
function registrations(service: ReflectionService): Registrations {
  const found: Registrations = [];
  service.addToServer({ addService: (definition, implementation) => void found.push({ definition, implementation }) });
  return found;
}

/**
 * gRPC server reflection (what grpcurl lists and describes) for every sylk.v1 service. Indexing
 * the descriptors is work no start needs: the methods are registered now, and the index is built
 * by the first reflection call (an empty ReflectionService supplies the method definitions).
 */
export function addReflection(server: Server): void {
  let indexed: Registrations | undefined;
  const index = (): Registrations => {
    const pkg = { 'sylk.v1': { fileDescriptorProtos: fileDescriptorProtos(ALL_FILES) } };
    return registrations(new ReflectionService(pkg as unknown as ConstructorParameters<typeof ReflectionService>[0]));
  };
  registrations(new ReflectionService({})).forEach(({ definition }, i) => {
    const implementation: UntypedServiceImplementation = {};
    for (const method of Object.keys(definition)) {
      implementation[method] = ((call: unknown) => {
        indexed ??= index();
        const handler = indexed[i]?.implementation[method] as ((call: unknown) => void) | undefined;
        handler?.(call);
      }) as UntypedHandleCall;
    }
    server.addService(definition, implementation);
  });
}
