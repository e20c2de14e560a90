import { ErrorCode, type Envelope } from "@zpb/proto";

const CODE_NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([name, value]) => [value as number, name]));

/** A compact, stable rendering of an Envelope: `ping{seq: 1}`, `error{code: CODE_DECODE(1), …}`. */
export function formatEnvelope(envelope: Envelope): string {
  const p = envelope.payload;
  switch (p.case) {
    case "ping":
    case "pong":
      return `${p.case}{seq: ${p.value.seq}}`;
    case "error": {
      const name = CODE_NAMES.get(p.value.code);
      return `error{code: ${name ? `${name}(${p.value.code})` : p.value.code}, message: ${JSON.stringify(p.value.message)}, seq: ${p.value.seq}}`;
    }
    default:
      return "{unknown payload}";
  }
}

/** The Envelope as a JSON-friendly record: `{case, seq, …}`. */
export function envelopeRecord(envelope: Envelope): Record<string, unknown> {
  const p = envelope.payload;
  return p.case === undefined ? { case: null } : { case: p.case, ...p.value };
}

/** Seconds with 3 decimals, for summaries. */
export function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Items per second, rounded; 0 when no time passed. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? Math.round((count * 1000) / ms) : 0;
}
