import { describe, expect, it } from "vitest";
import { CallRecord, createCallRecords } from "./call-record.js";

const peer = (route: Buffer[], delimited = true) => ({ identity: route[0]!, route, delimited });

describe("CallRecord", () => {
  it("gives back, from another view of the same memory, the call a slot was inside", () => {
    const memory = createCallRecords(3);
    const worker = new CallRecord(memory, 1);
    const pool = new CallRecord(memory, 1);
    expect(pool.orphan()).toBeUndefined();
    worker.enter(peer([Buffer.from([0, 1, 2, 3, 4]), Buffer.from("hop")]), Buffer.from("payload"), false);
    const orphan = pool.orphan()!;
    expect(orphan.peer.route.map((f) => f.toString("hex"))).toEqual(["0001020304", Buffer.from("hop").toString("hex")]);
    expect(orphan.peer.identity.equals(Buffer.from([0, 1, 2, 3, 4]))).toBe(true);
    expect(orphan.peer.delimited).toBe(true);
    expect(orphan.batch).toBe(false);
    expect(Buffer.from(orphan.payload!).toString()).toBe("payload");
    // Other slots are untouched, and a call that returned leaves nothing behind.
    expect(new CallRecord(memory, 0).orphan()).toBeUndefined();
    expect(new CallRecord(memory, 2).orphan()).toBeUndefined();
    worker.leave();
    expect(pool.orphan()).toBeUndefined();
  });

  it("keeps a batch's peer without a payload, and the route alone when the payload does not fit", () => {
    const memory = createCallRecords(1);
    const record = new CallRecord(memory, 0);
    record.enter(peer([Buffer.from("id")], false), undefined, true);
    expect(record.orphan()).toMatchObject({ batch: true, payload: undefined, peer: { delimited: false } });
    record.enter(peer([Buffer.from("id")]), Buffer.alloc(64 * 1024), false);
    const orphan = record.orphan()!;
    expect(orphan.payload).toBeUndefined();
    expect(orphan.peer.route[0]!.toString()).toBe("id");
    record.reset();
    expect(record.orphan()).toBeUndefined();
  });

  it("records nothing for a route it cannot hold (the previous call's record is not reused either)", () => {
    const record = new CallRecord(createCallRecords(1), 0);
    record.enter(peer(Array.from({ length: 9 }, (_, i) => Buffer.from([i]))), Buffer.from("x"), false);
    expect(record.orphan()).toBeUndefined();
    record.enter(peer([Buffer.alloc(4096)]), Buffer.from("x"), false);
    expect(record.orphan()).toBeUndefined();
  });
});
