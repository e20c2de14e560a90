// The few control messages between a front that routes requests to joined hosts (broker.ts) and a host
// that joined it (joiner.ts), on the backend connection (DEALER on the joiner, ROUTER on the front).
// Requests and replies always have two frames or more (`[tag, ("",) payload]`); a control message is always
// exactly one frame, a small JSON object, so neither side can mistake one for the other and an old peer
// that sees a field it does not know ignores it.

/** The protocol's version; a front refuses a joiner of another major version. */
export const JOIN_PROTOCOL_VERSION = 1;

/**
 * - `ready`: a joiner (re)connected with `workers` threads: route requests to it.
 * - `heartbeat`: either side is alive (sent every heartbeat interval, whatever else is flowing).
 * - `bye`: a joiner is stopping: send it nothing more (it still answers what it holds).
 * - `rejoin`: the front does not know this joiner (it was declared dead): it must send `ready` again.
 */
export type JoinMessage =
  | { type: "ready"; version: number; workers: number }
  | { type: "heartbeat" }
  | { type: "bye" }
  | { type: "rejoin" };

/** One control frame. */
export function encodeJoinMessage(message: JoinMessage): Buffer {
  return Buffer.from(JSON.stringify(message));
}

/** The control message in one frame, or undefined for anything that is not one. */
export function decodeJoinMessage(frame: Buffer): JoinMessage | undefined {
  try {
    const value = JSON.parse(frame.toString("utf8")) as Partial<JoinMessage> | null;
    switch (value?.type) {
      case "ready":
        return Number.isInteger(value.workers) && (value.workers ?? 0) > 0 && Number.isInteger(value.version)
          ? { type: "ready", version: value.version!, workers: value.workers! }
          : undefined;
      case "heartbeat":
      case "bye":
      case "rejoin":
        return { type: value.type };
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** A heartbeat that was not answered for this many intervals means the peer is gone. */
export const HEARTBEAT_LIVENESS = 3;
