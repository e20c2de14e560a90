// Z85 (ZeroMQ RFC 32): the text form of CURVE keys in libzmq, pyzmq and czmq certificates. Hand-written:
// the encoding is 4 bytes ↔ 5 base-85 digits and nothing else, smaller than any dependency would be, and
// zeromq.js only exposes it inside curveKeyPair().

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const DIGITS = new Map([...ALPHABET].map((char, value) => [char, value]));

/** True when `text` is Z85 text: characters of the Z85 alphabet, a multiple of 5 long. */
export function isZ85(text: string): boolean {
  if (text.length % 5 !== 0) return false;
  for (const char of text) if (!DIGITS.has(char)) return false;
  return true;
}

/** Encodes bytes (a multiple of 4 long) as Z85 text. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new RangeError(`Z85 encodes multiples of 4 bytes, got ${bytes.length}`);
  let text = "";
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
    const chunk: string[] = [];
    for (let d = 0; d < 5; d++) {
      chunk.unshift(ALPHABET[value % 85]!);
      value = Math.floor(value / 85);
    }
    text += chunk.join("");
  }
  return text;
}

/** Decodes Z85 text (a multiple of 5 long) to bytes; throws RangeError on anything else. */
export function z85Decode(text: string): Buffer {
  if (!isZ85(text)) throw new RangeError("not Z85 text (wrong length or a character outside the Z85 alphabet)");
  const bytes = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let d = 0; d < 5; d++) value = value * 85 + DIGITS.get(text[i + d]!)!;
    if (value > 0xffffffff) throw new RangeError("not Z85 text (a group is larger than 32 bits)");
    bytes.writeUInt32BE(value, o);
  }
  return bytes;
}
