import { ping, pong, rawCodec, seqOf } from "@zpb/proto";
import { Dealer, Router } from "./index.js";
import { describe, expect, it } from "vitest";
import { within } from "@zpb/test-support";
import { closeAfterEach } from "@zpb/test-support/vitest";
import { bindAddress, TRANSPORTS } from "./test-support/sockets.js";

describe.each(TRANSPORTS)("high-water marks over %s", (kind) => {
  const own = closeAfterEach();

  it("a Router (mandatory by default) loses no reply when a Dealer pipelines 3000 requests", async () => {
    // Small HWMs on both ends, so the Router's reply queue really fills while the client is still sending.
    const router = own(new Router({ linger: 0, sendHighWaterMark: 50, receiveHighWaterMark: 50 }));
    const endpoint = await router.bind(bindAddress(kind));
    const serving = (async () => {
      for await (const request of router) {
        if (request.ok && request.message.payload.case === "ping")
          await router.reply(request.peer, pong(request.message.payload.value.seq));
      }
    })();

    const total = 3_000;
    const dealer = own(new Dealer({ linger: 0, sendHighWaterMark: 50, receiveHighWaterMark: 50 }));
    dealer.connect(endpoint);
    const seen = new Set<bigint>();
    const receiving = (async () => {
      for await (const reply of dealer) {
        if (reply.ok && reply.message.payload.case === "pong") seen.add(seqOf(reply.message)!);
        if (seen.size === total) return;
      }
    })();
    for (let seq = 0; seq < total; seq++) await dealer.send(ping(seq));

    await within(receiving, `all ${total} replies (got ${seen.size} so far)`, 15_000);
    expect(seen.size).toBe(total);
    expect(dealer.counters).toMatchObject({ sent: total, received: total, decodeErrors: 0, frameErrors: 0 });
    expect(router.counters).toMatchObject({ received: total, sent: total });
    router.close();
    await within(serving, "the server loop to end");
  });

  // Deterministic only over inproc: there the pipe holds exactly what the HWMs allow, while over tcp the
  // kernel's socket buffers absorb an amount that varies run to run.
  it.runIf(kind === "inproc")(
    "a Router with mandatory:false silently drops replies to a full peer (libzmq's default)",
    async () => {
      const router = own(new Router({ linger: 0, mandatory: false, sendHighWaterMark: 10, codec: rawCodec }));
      const endpoint = await router.bind(bindAddress(kind));
      const dealer = own(new Dealer({ linger: 0, receiveHighWaterMark: 10, codec: rawCodec }));
      dealer.connect(endpoint);
      await dealer.send(Buffer.from("hello"));
      const hello = await within(router.receive(), "hello");

      const total = 1_000;
      // The dealer reads nothing meanwhile: every send "succeeds", most go nowhere.
      for (let i = 0; i < total; i++) await router.replyBytes(hello!.peer, Buffer.from(String(i)));
      expect(router.counters.sent).toBe(total);

      // inproc has no I/O thread: everything that was kept is in the pipe now, and `readable` says so exactly.
      const kept: string[] = [];
      while (dealer.socket.readable) {
        const m = await within(dealer.receive(), "a kept reply");
        if (m?.ok) kept.push(Buffer.from(m.message).toString());
      }
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThan(total);
      // What survives is the head of the stream; the rest was dropped, not reordered.
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => String(i)));
    },
  );
});
