// Compile-time soundness of the codec defaults: `tsc --noEmit` (the first half of `pnpm test`) checks every
// `@ts-expect-error` below — each marks a call that must NOT compile, and tsc fails if it does. The socket
// constructions sit in functions that are never called: what is tested is the types, not the sockets.
import { describe, expectTypeOf, it } from "vitest";
import { envelopeCodec, rawCodec, type Codec, type Envelope } from "@zpb/proto";
import type { IsEnvelope } from "./codec-args.js";
import { Dealer } from "./dealer.js";
import { Publisher } from "./publish.js";
import { Replier } from "./reply.js";
import { Requester } from "./request.js";
import { RoutedDealer, Router } from "./router.js";
import { Subscriber } from "./subscribe.js";

interface Quote {
  symbol: string;
  bid: number;
}
declare const quoteCodec: Codec<Quote>;

describe("a socket's message type and its codec", () => {
  it("IsEnvelope holds for Envelope only, not for wider or narrower types", () => {
    expectTypeOf<IsEnvelope<Envelope>>().toEqualTypeOf<true>();
    expectTypeOf<IsEnvelope<Quote>>().toEqualTypeOf<false>();
    expectTypeOf<IsEnvelope<Uint8Array>>().toEqualTypeOf<false>();
    expectTypeOf<IsEnvelope<unknown>>().toEqualTypeOf<false>();
    expectTypeOf<IsEnvelope<Envelope & { extra: string }>>().toEqualTypeOf<false>();
  });

  it("without a codec a socket carries Envelope", () => {
    const sockets = () => [new Dealer(), new Dealer({ linger: 0 }), new Router(), new Requester({ relaxed: true })];
    expectTypeOf(sockets).returns.items.toEqualTypeOf<Dealer<Envelope> | Router<Envelope> | Requester<Envelope>>();
    const explicit = () => new Dealer<Envelope>({ codec: envelopeCodec });
    expectTypeOf(explicit).returns.toEqualTypeOf<Dealer<Envelope>>();
  });

  it("the message type is inferred from the codec", () => {
    expectTypeOf(() => new Dealer({ codec: rawCodec })).returns.toEqualTypeOf<Dealer<Uint8Array>>();
    expectTypeOf(() => new Router({ codec: quoteCodec, mandatory: false })).returns.toEqualTypeOf<Router<Quote>>();
    expectTypeOf(() => new Subscriber({ codec: quoteCodec, topics: ["Q"] })).returns.toEqualTypeOf<Subscriber<Quote>>();
    expectTypeOf(() => new Publisher({ codec: quoteCodec })).returns.toEqualTypeOf<Publisher<Quote>>();
    expectTypeOf(() => new Replier({ codec: quoteCodec })).returns.toEqualTypeOf<Replier<Quote>>();
    expectTypeOf(() => new RoutedDealer({ codec: quoteCodec })).returns.toEqualTypeOf<RoutedDealer<Quote>>();
    // Generic code that has a Codec<T> compiles for every T.
    const generic = <T>(codec: Codec<T>) => new Dealer<T>({ codec, delimiter: true });
    expectTypeOf(generic<Quote>).returns.toEqualTypeOf<Dealer<Quote>>();
  });

  it("another message type without its codec does not compile", () => {
    const unsound = () => [
      // @ts-expect-error Quote is not Envelope: the codec is required
      new Dealer<Quote>(),
      // @ts-expect-error options without the codec are not enough
      new Dealer<Quote>({ linger: 0 }),
      // @ts-expect-error a codec of another type
      new Dealer<Quote>({ codec: rawCodec }),
      // @ts-expect-error Uint8Array needs rawCodec (or another Codec<Uint8Array>)
      new Router<Uint8Array>(),
      // @ts-expect-error
      new RoutedDealer<Quote>({}),
      // @ts-expect-error
      new Requester<Quote>({ relaxed: true }),
      // @ts-expect-error
      new Replier<Quote>(),
      // @ts-expect-error
      new Publisher<Quote>(),
      // @ts-expect-error
      new Subscriber<Quote>({ topics: ["Q"] }),
      // @ts-expect-error an Envelope subtype is not what envelopeCodec decodes
      new Dealer<Envelope & { extra: string }>(),
    ];
    expectTypeOf(unsound).toBeFunction();
  });

  it("a socket's messages keep the type its codec gives", () => {
    const typed = () => new Dealer({ codec: quoteCodec });
    expectTypeOf<ReturnType<typeof typed>["send"]>().parameter(0).toEqualTypeOf<Quote>();
    const wrong = (): Dealer<Quote> => {
      // @ts-expect-error an Envelope socket cannot stand in for a Quote socket
      return new Dealer();
    };
    expectTypeOf(wrong).toBeFunction();
  });
});
