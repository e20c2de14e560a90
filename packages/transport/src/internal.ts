// @zpb/transport/internal — for sibling zpb packages only (the server, the clients, their tests), not for
// applications: the building blocks behind the public socket classes, so a sibling that must hold a raw zeromq
// socket (a proxy front, a forwarder) maps options, routes frames and decodes exactly as the classes do.
// No stability promise beyond the zpb release it ships in; the public API is "@zpb/transport".

/** Abstract bases of every socket class (close/bind/connect/counters; the receive loop and iteration). */
export { BaseSocket, ReceivingSocket } from "./base.js";
/** ROUTER envelopes: split `[route…, ("",) body…]` and build a reply in the request's shape (docs/wire.md). */
export { routeBatchTo, routeTo, singlePayload, splitRouted, type RoutedFrames } from "./routing.js";
/** Options → zeromq: defaults merged, options our classes consume left out; a socket built with only what it has. */
export { createSocket, zmqOptions } from "./options.js";
/** Frames → `Received<T>` values, counting decode and frame errors. */
export { badFrames, codecOrDefault, decodeFrame, decodeSingle, newCounters } from "./received.js";
/** A batch frame (docs/wire.md, "Batches") → `Incoming<T>`: split without copying, each item decoded on its own. */
export { decodeBatch, flatten, incomingSingle } from "./received.js";
/** CURVE keys from keys or certificate files, Z85 checks, certificate file names, handshake failures in words. */
export { isKeyText, publicKeyFrom, secretKeyFrom } from "./curve/options.js";
export { z85Key } from "./curve/keys.js";
export { isZ85 } from "./curve/z85.js";
export { PUBLIC_SUFFIX, SECRET_SUFFIX } from "./curve/certificate.js";
export { describeHandshakeFailure } from "./curve/handshake.js";
