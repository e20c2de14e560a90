import { envelopeCodec, errorReply, seqOf, type Codec, type Envelope, type ErrorCode } from "@zpb/proto";
import { pathToFileURL } from "node:url";
import { isAbsolute, resolve } from "node:path";
import { ServerError } from "./errors.js";

/** What a handler learns about where it runs. One object per worker and service, reused for every call. */
export interface HandlerContext {
  /** The worker's slot, 0..workers-1 (a replacement worker takes its predecessor's slot). */
  readonly workerId: number;
  /** The service this handler serves ("main" for the envelope endpoints, "echo" for the echo endpoint). */
  readonly service: string;
  /** Aborted when the server starts to stop: long async work should give up and reply or throw. */
  readonly signal: AbortSignal;
}

/** Maps one decoded request to its reply, synchronously or not. Throw a RequestError to pick the error code. */
export type Handler<T = Envelope> = (request: T, context: HandlerContext) => T | Promise<T>;

/** Builds an error reply in the handler's own schema; `request` is undefined when it could not be decoded. */
export type ErrorReplyBuilder<T = Envelope> = (code: ErrorCode, message: string, request: T | undefined) => T;

/**
 * The shape of a handler module (an ESM file the workers import by URL):
 * - `default`: the Handler (required);
 * - `codec`: how requests are decoded and replies encoded (default: @zpb/proto's envelopeCodec);
 * - `errorReply`: builds error replies in that schema (default for the Envelope: `Envelope{error{…}}`;
 *   a module with its own codec and no `errorReply` answers faults with an empty frame, so REQ peers
 *   still get an answer).
 */
export interface HandlerModule<T = Envelope> {
  default: Handler<T>;
  codec?: Codec<T>;
  errorReply?: ErrorReplyBuilder<T>;
}

/** A loaded handler module with every optional part filled in. */
export interface LoadedHandler<T = unknown> {
  handle: Handler<T>;
  codec: Codec<T>;
  /** Undefined: faults are answered with an empty frame. */
  errorReply: ErrorReplyBuilder<T> | undefined;
}

/** The error reply for the Envelope schema: `Envelope{error{code, message, seq}}`, with the request's seq when known. */
export const envelopeErrorReply: ErrorReplyBuilder<Envelope> = (code, message, request) =>
  errorReply(code, message, request === undefined ? 0n : (seqOf(request) ?? 0n));

/** Names of the handlers built into the server. */
export const BUILTIN_HANDLERS = ["ping", "echo"] as const;
export type BuiltinHandler = (typeof BUILTIN_HANDLERS)[number];

/**
 * Turns what a user typed (`ping`, `echo`, a path, or a URL) into what a worker can import: a builtin name
 * or an absolute URL string. Paths resolve against `cwd`.
 */
export function resolveHandlerSpec(spec: string | URL, cwd = process.cwd()): string {
  if (spec instanceof URL) return spec.href;
  if ((BUILTIN_HANDLERS as readonly string[]).includes(spec)) return spec;
  if (/^[a-z][a-z0-9+.-]*:/i.test(spec) && !/^[a-z]:[\\/]/i.test(spec)) return spec;
  return pathToFileURL(isAbsolute(spec) ? spec : resolve(cwd, spec)).href;
}

/** Validates a module's exports and fills in the defaults; throws ServerError HANDLER_LOAD when unusable. */
export function toLoadedHandler(module: Partial<HandlerModule<unknown>>, from: string): LoadedHandler {
  if (typeof module.default !== "function") {
    throw new ServerError("HANDLER_LOAD", `handler module ${from} must have a default export that is a function`);
  }
  const codec = module.codec ?? (envelopeCodec as Codec<unknown>);
  if (typeof codec.encode !== "function" || typeof codec.decode !== "function") {
    throw new ServerError("HANDLER_LOAD", `handler module ${from}: "codec" must have encode() and decode()`);
  }
  if (module.errorReply !== undefined && typeof module.errorReply !== "function") {
    throw new ServerError("HANDLER_LOAD", `handler module ${from}: "errorReply" must be a function`);
  }
  const errorReplyBuilder =
    module.errorReply ?? (module.codec === undefined ? (envelopeErrorReply as ErrorReplyBuilder<unknown>) : undefined);
  return { handle: module.default, codec, errorReply: errorReplyBuilder };
}
