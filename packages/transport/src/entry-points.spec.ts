import { describe, expect, it } from "vitest";
import * as internal from "./internal.js";
import * as pub from "./index.js";

// The public surface is what the README documents; sibling-only building blocks stay behind "./internal".
describe("entry points", () => {
  it("the public entry exports exactly the documented API", () => {
    expect(Object.keys(pub).sort()).toEqual(PUBLIC);
  });

  it("the internal entry holds the sibling-only pieces, none of them public", () => {
    expect(Object.keys(internal).sort()).toEqual(INTERNAL);
    for (const name of INTERNAL) expect(Object.keys(pub)).not.toContain(name);
  });
});

const PUBLIC = [
  "DEFAULT_ENDPOINTS",
  "DEFAULT_SOCKET_OPTIONS",
  "Dealer",
  "FrameError",
  "Publisher",
  "Replier",
  "Requester",
  "RoutedDealer",
  "Router",
  "Subscriber",
  "TransportError",
];
const INTERNAL = [
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
];
