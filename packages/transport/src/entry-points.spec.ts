import { describeEntryPoints } from "@zpb/test-support/vitest";
import * as internal from "./internal.js";
import * as pub from "./index.js";

// The public surface is what the README documents; sibling-only building blocks stay behind "./internal".
describeEntryPoints(
  { public: pub, internal },
  [
    "DEFAULT_ENDPOINTS",
    "DEFAULT_SOCKET_OPTIONS",
    "Dealer",
    "ENDPOINT_FORMS",
    "FrameError",
    "Publisher",
    "Replier",
    "Requester",
    "RoutedDealer",
    "Router",
    "Subscriber",
    "TransportError",
    "parseEndpoint",
  ],
  [
    "BaseSocket",
    "ReceivingSocket",
    "badFrames",
    "codecOrDefault",
    "createSocket",
    "decodeFrame",
    "decodeSingle",
    "newCounters",
    "routeTo",
    "singlePayload",
    "splitRouted",
    "zmqOptions",
  ],
);
