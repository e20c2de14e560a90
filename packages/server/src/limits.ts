import { DecodeError, type Codec } from "@zpb/proto";

/**
 * Wraps a codec so payloads over `maxPayload` bytes are refused with DecodeError("TOO_LARGE") before any
 * parsing, whatever the handler's schema (the Envelope codec's own `maxBytes` covers only the Envelope).
 */
export function limitPayload<T>(codec: Codec<T>, maxPayload: number): Codec<T> {
  if (!Number.isFinite(maxPayload)) return codec;
  return {
    encode: (message) => codec.encode(message),
    decode: (bytes) => {
      if (bytes.length > maxPayload) {
        throw new DecodeError(
          "TOO_LARGE",
          `request of ${bytes.length} bytes exceeds the server's ${maxPayload}-byte limit`,
        );
      }
      return codec.decode(bytes);
    },
  };
}
