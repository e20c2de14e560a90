import { randomUUID } from "node:crypto";
import { afterEach } from "vitest";

/** Both transports every pattern is tested over. */
export const TRANSPORTS = ["tcp", "inproc"] as const;
export type TransportKind = (typeof TRANSPORTS)[number];

/** An address to bind: a free loopback port for tcp, a fresh name for inproc. */
export function bindAddress(kind: TransportKind): string {
  return kind === "tcp" ? "tcp://127.0.0.1:*" : `inproc://zpb-test-${randomUUID()}`;
}

/** Bytes no Envelope decoder accepts (wire type 7 in the first tag). */
export const GARBAGE = Buffer.from([0xff, 0xff, 0xff, 0xff]);

/** Every wait in these tests is bounded: this is the default bound for one receive or event. */
export const WAIT_MS = 5_000;

/** Resolves as `promise` does, or rejects naming `what` after `ms`: a hang fails the test instead of stalling it. */
export async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Closable {
  close(): void;
}

/**
 * Registers an afterEach that closes every socket handed to the returned function, so a failing test
 * leaves nothing open. Returns the socket for chaining: `const rep = own(new Replier())`.
 */
export function closeAfterEach(): <S extends Closable>(socket: S) => S {
  const open: Closable[] = [];
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  return (socket) => {
    open.push(socket);
    return socket;
  };
}
