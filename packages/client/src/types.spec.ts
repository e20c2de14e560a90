// Compile-time soundness of the clients' Envelope defaults: `tsc --noEmit` (the first half of `pnpm test`)
// fails if any `@ts-expect-error` line below compiles. The clients are built inside functions that are never
// called: only their types are under test.
import { describe, expectTypeOf, it } from "vitest";
import { rawCodec, type Codec, type Envelope } from "@zpb/proto";
import { PipelinedClient } from "./pipelined-client.js";
import { TopicPublisher } from "./publisher.js";
import { RequestClient } from "./request-client.js";
import { Subscription } from "./subscription.js";

interface Quote {
  id: number;
  symbol: string;
}
declare const quoteCodec: Codec<Quote>;

describe("a client's message type, its codec and the Envelope-only defaults", () => {
  it("without a codec a client carries Envelope", () => {
    expectTypeOf(() => new PipelinedClient()).returns.toEqualTypeOf<PipelinedClient<Envelope>>();
    expectTypeOf(() => new RequestClient({ timeoutMs: 10 })).returns.toEqualTypeOf<RequestClient<Envelope>>();
    expectTypeOf(() => new Subscription({ topics: ["PING"] })).returns.toEqualTypeOf<Subscription<Envelope>>();
    expectTypeOf(() => TopicPublisher.bind()).returns.resolves.toEqualTypeOf<TopicPublisher<Envelope>>();
  });

  it("with a codec (and the keys its schema needs) the message type is inferred", () => {
    const pipelined = () => new PipelinedClient({ codec: quoteCodec, keyOf: (q) => q.id });
    expectTypeOf(pipelined).returns.toEqualTypeOf<PipelinedClient<Quote>>();
    expectTypeOf<PipelinedClient<Quote>["request"]>().parameter(0).toEqualTypeOf<Quote>();
    expectTypeOf(() => new RequestClient({ codec: rawCodec })).returns.toEqualTypeOf<RequestClient<Uint8Array>>();
    expectTypeOf(() => new Subscription({ codec: quoteCodec, seqOf: null })).returns.toEqualTypeOf<
      Subscription<Quote>
    >();
    expectTypeOf(() => TopicPublisher.bind({ codec: quoteCodec })).returns.resolves.toEqualTypeOf<
      TopicPublisher<Quote>
    >();
  });

  it("another message type without its codec, or without a way to match replies, does not compile", () => {
    const unsound = () => [
      // @ts-expect-error Quote is not Envelope: the codec is required
      new PipelinedClient<Quote>(),
      // @ts-expect-error the codec alone is not enough: replies are matched by keyOf, and seqOf reads Envelopes
      new PipelinedClient({ codec: quoteCodec }),
      // @ts-expect-error
      new RequestClient<Quote>({ timeoutMs: 10 }),
      // @ts-expect-error a codec of another type
      new RequestClient<Quote>({ codec: rawCodec }),
      // @ts-expect-error the default gap detector reads an Envelope's seq: say how (or null)
      new Subscription({ codec: quoteCodec }),
      // @ts-expect-error
      new Subscription<Quote>({ seqOf: (q) => BigInt(q.id) }),
      // @ts-expect-error
      TopicPublisher.bind<Quote>(),
    ];
    expectTypeOf(unsound).toBeFunction();
  });
});
