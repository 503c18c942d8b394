import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';

/**
 * grpc-js (de)serializers for a protobuf-es message, shared by the client and the server.
 * Encoding accepts init shapes (plain objects) and wraps toBinary's bytes in a Buffer without
 * copying them: they are a fresh array no one else holds.
 */
export function encoder(desc: DescMessage): (value: MessageInitShape<DescMessage>) => Buffer {
  return (value) => {
    const bytes = toBinary(desc, create(desc, value));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

export function decoder(desc: DescMessage): (bytes: Buffer) => MessageShape<DescMessage> {
  return (bytes) => fromBinary(desc, bytes);
}
