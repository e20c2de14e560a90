// @zpb/server: what a user needs to run a server and write handlers. zpb's own packages find the server's
// insides (option resolution, the settings machinery, counters memory, the serving loop) in
// "@zpb/server/internal".
export { startServer, type BoundEndpoints, type RunningServer } from "./server.js";
export type { HostLinkCurve, ReloadedKeys, ServerCurve } from "./curve.js";
export type { ServerOptions } from "./options.js";
export { SERVER_SETTINGS, type Forwarder, type ServerSettings } from "./settings.js";
export type { Setting } from "./setting.js";
export {
  BUILTIN_HANDLERS,
  envelopeErrorReply,
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
export { startJoiner } from "./scale/start-joiner.js";
export type { BrokerStats, JoinedHost } from "./scale/broker.js";
