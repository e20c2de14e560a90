// @zpb/transport — typed ZeroMQ sockets carrying protobuf messages. What applications use; the building blocks
// sibling zpb packages share (BaseSocket, routeTo, splitRouted, zmqOptions, …) are in "@zpb/transport/internal".
export { DEFAULT_ENDPOINTS, DEFAULT_SOCKET_OPTIONS, type SocketOptions } from "./options.js";
export { FrameError, TransportError, type ReceiveError, type TransportErrorCode } from "./errors.js";
export type { Incoming, Received, SocketCounters } from "./received.js";
export type { IsEnvelope, OptionsFor } from "./codec-args.js";
export { ENDPOINT_FORMS, parseEndpoint, type ParsedEndpoint } from "./endpoint.js";
export type { Peer } from "./routing.js";
export { Requester, type RequesterOptions } from "./request.js";
export { Replier, type ReplierOptions } from "./reply.js";
export { Publisher, type PublisherOptions, type Topic } from "./publish.js";
export { Subscriber, type IncomingPublished, type Published, type SubscriberOptions } from "./subscribe.js";
export {
  Router,
  RoutedDealer,
  type RoutedDealerOptions,
  type RoutedIncoming,
  type RoutedMessage,
  type RouterOptions,
} from "./router.js";
export { Dealer, type DealerOptions } from "./dealer.js";
export { Forwarder, type ForwarderOptions } from "./forwarder.js";
export { CurveError, type CurveErrorCode } from "./errors.js";
export { generateKeyPair, isCurveKey, publicKeyOf, type CurveKey, type CurveKeyPair } from "./curve/keys.js";
export { z85Decode, z85Encode } from "./curve/z85.js";
export {
  loadPublicKeys,
  parseCertificate,
  readCertificate,
  readCertificateSync,
  readSecretCertificateSync,
  secretFileModeProblem,
  writeCertificates,
  type Certificate,
  type LoadedKeys,
  type SecretCertificate,
  type WriteCertificatesOptions,
  type WrittenCertificates,
} from "./curve/certificate.js";
export {
  curveClientOptions,
  curveServerOptions,
  type CurveClientKeys,
  type CurveServerKeys,
  type CurveSocketOptions,
  type KeySource,
} from "./curve/options.js";
export {
  CurveAllowList,
  ZapAuthenticator,
  type CurveAccess,
  type ZapRefusal,
  type ZapStats,
} from "./curve/zap.js";
export { HandshakeWatch, type HandshakeFailure } from "./curve/handshake.js";
export {
  CurveServerSecurity,
  type CurveServerSecurityOptions,
  type CurveServerSocketOptions,
} from "./curve/server.js";
