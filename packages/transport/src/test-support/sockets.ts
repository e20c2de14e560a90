// What every socket-behaviour test of @zpb/transport shares: both transports, addresses, bad bytes.
import { randomUUID } from "node:crypto";

/** Both transports every pattern is tested over. */
export const TRANSPORTS = ["tcp", "inproc"] as const;
export type TransportKind = (typeof TRANSPORTS)[number];

/** An address to bind: a free loopback port for tcp, a fresh name for inproc. */
export function bindAddress(kind: TransportKind): string {
  return kind === "tcp" ? "tcp://127.0.0.1:*" : `inproc://zpb-test-${randomUUID()}`;
}

/** Bytes no Envelope decoder accepts (wire type 7 in the first tag). */
export const GARBAGE = Buffer.from([0xff, 0xff, 0xff, 0xff]);
