// @zpb/client — reliable zpb clients (Lazy Pirate REQ, pipelined DEALER, SUB/PUB, echo): what applications
// use. The plumbing sibling zpb packages share beyond that is in "@zpb/client/internal".
export { CLIENT_DEFAULTS, type CallOptions, type RequestOptions } from "./options.js";
export {
  AbortedError,
  BadReplyError,
  ClientError,
  ClosedError,
  HandshakeError,
  RemoteError,
  TimeoutError,
  type ClientErrorCode,
} from "./errors.js";
export { envelopeRemoteError, type RemoteErrorOf } from "./remote.js";
export {
  RequestClient,
  type RequestClientOptions,
  type RequestClientStats,
} from "./request-client.js";
export {
  PipelinedClient,
  type ManyReplies,
  type PipelinedClientOptions,
  type PipelinedClientStats,
  type RequestKey,
} from "./pipelined-client.js";
export { Subscription, type SubscriptionOptions, type SubscriptionStats, type TopicMessage } from "./subscription.js";
export {
  TopicPublisher,
  type PublishManyOptions,
  type TopicPublisherCurve,
  type TopicPublisherOptions,
} from "./publisher.js";
export { EchoClient, type EchoClientOptions } from "./echo-client.js";
export type { CurveClientKeys, HandshakeFailure, KeySource, ZapRefusal } from "@zpb/transport";
