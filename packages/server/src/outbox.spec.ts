import { describe, expect, it } from "vitest";
import type { Peer } from "@zpb/transport";
import { Outbox } from "./outbox.js";

const peer: Peer = { identity: Buffer.from("p"), route: [Buffer.from("p")], delimited: false };

describe("Outbox", () => {
  it("hands replies back in the order they came, across its compactions", () => {
    const outbox = new Outbox();
    const taken: number[] = [];
    for (let i = 0; i < 5000; i++) {
      outbox.push({ peer, bytes: new Uint8Array([i & 0xff, i >> 8]) });
      if (i % 3 === 0) taken.push(decode(outbox.shift()!.bytes));
    }
    expect(outbox.size).toBe(5000 - taken.length);
    for (let reply = outbox.shift(); reply !== undefined; reply = outbox.shift()) taken.push(decode(reply.bytes));
    expect(taken).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(outbox.size).toBe(0);
  });

  it("takeAll() empties it, oldest first", () => {
    const outbox = new Outbox();
    for (let i = 0; i < 3; i++) outbox.push({ peer, bytes: new Uint8Array([i]) });
    outbox.shift();
    expect(outbox.takeAll().map((r) => r.bytes[0])).toEqual([1, 2]);
    expect(outbox.size).toBe(0);
    expect(outbox.shift()).toBeUndefined();
  });
});

function decode(bytes: Uint8Array): number {
  return bytes[0]! | (bytes[1]! << 8);
}
