/** `"0a 02 08 2a"` → bytes; whitespace is ignored. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (!/^([0-9a-f]{2})*$/i.test(clean)) throw new Error(`not hex: ${text}`);
  return Uint8Array.from(Buffer.from(clean, "hex"));
}

/** bytes → `"0a 02 08 2a"`, the form the wire vectors are written in. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** A small fixed-seed PRNG (mulberry32): the same "random" inputs on every run and machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
