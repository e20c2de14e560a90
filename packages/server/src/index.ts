export { startServer, type BoundEndpoints, type RunningServer } from "./server.js";
export { DEFAULTS, resolveOptions, type Forwarder, type ResolvedOptions, type ServerOptions } from "./options.js";
export {
  BUILTIN_HANDLERS,
  envelopeErrorReply,
  resolveHandlerSpec,
  type BuiltinHandler,
  type ErrorReplyBuilder,
  type Handler,
  type HandlerContext,
  type HandlerModule,
} from "./handler.js";
export { RequestError, ServerError, type ServerErrorCode } from "./errors.js";
export { COUNTER_NAMES, type CounterName, type ServerStats, type WorkerCounters } from "./stats.js";
export type { WorkerDeath } from "./pool.js";
export { silentLogger, type Logger } from "./log.js";
