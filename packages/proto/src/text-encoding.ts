import { configureTextEncoding, getTextEncoding } from '@bufbuild/protobuf/wire';

let configured = false;

/**
 * protobuf-es encodes every string field with `TextEncoder.encode`, which allocates a fresh
 * ArrayBuffer per field; a ReadEvents response has three string fields per event. Node's Buffer
 * takes small strings from its shared pool instead. protobuf-es offers this hook for runtime-specific encoders; validation and
 * strict decoding (invalid UTF-8 must fail) stay protobuf-es's own.
 */
export function useNodeTextEncoding(): void {
  if (configured) return;
  configured = true;
  const standard = getTextEncoding();
  configureTextEncoding({
    encodeUtf8: (text) => Buffer.from(text, 'utf8') as Uint8Array<ArrayBuffer>,
    decodeUtf8: (bytes, strict) =>
      strict === true
        ? standard.decodeUtf8(bytes, true)
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
    checkUtf8: standard.checkUtf8,
  });
}
