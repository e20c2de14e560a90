import type { Codec, Envelope } from "@zpb/proto";

/**
 * True only when T is exactly `Envelope`: a subtype (Envelope plus fields) or a wider type (`unknown`) cannot
 * be carried by envelopeCodec either, so they count as another schema.
 */
export type IsEnvelope<T> = [T] extends [Envelope] ? ([Envelope] extends [T] ? true : false) : false;

/**
 * The options argument of a socket or client that carries T. For `Envelope` the options may be left out and
 * `codec` defaults to envelopeCodec; for any other T the options and a `Codec<T>` are required (plus the
 * option names in `K`, such as a client's `keyOf`), so `new Dealer<MyMessage>()` does not compile instead of
 * decoding Envelopes at run time. T is inferred from the codec: `new Dealer({ codec: rawCodec })` is a
 * `Dealer<Uint8Array>`.
 */
export type OptionsFor<T, O extends { codec?: Codec<T> }, K extends keyof O = never> =
  IsEnvelope<T> extends true ? [options?: O] : [options: O & { codec: Codec<T> } & { [P in K]-?: O[P] }];
