// @zpb/transport — typed ZeroMQ sockets carrying protobuf messages. What applications use; the building blocks
// sibling zpb packages share (BaseSocket, routeTo, splitRouted, zmqOptions, …) are in "@zpb/transport/internal".
export { DEFAULT_ENDPOINTS, DEFAULT_SOCKET_OPTIONS, type SocketOptions } from "./options.js";
export { FrameError, TransportError, type ReceiveError, type TransportErrorCode } from "./errors.js";
export type { Received, SocketCounters } from "./received.js";
export type { IsEnvelope, OptionsFor } from "./codec-args.js";
export { ENDPOINT_FORMS, parseEndpoint, type ParsedEndpoint } from "./endpoint.js";
export type { Peer } from "./routing.js";
export { Requester, type RequesterOptions } from "./request.js";
export { Replier, type ReplierOptions } from "./reply.js";
export { Publisher, type PublisherOptions, type Topic } from "./publish.js";
export { Subscriber, type Published, type SubscriberOptions } from "./subscribe.js";
export { Router, RoutedDealer, type RoutedDealerOptions, type RoutedMessage, type RouterOptions } from "./router.js";
export { Dealer, type DealerOptions } from "./dealer.js";
