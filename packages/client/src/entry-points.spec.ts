import { describeEntryPoints } from "@zpb/test-support/vitest";
import * as internal from "./internal.js";
import * as pub from "./index.js";

// The public surface is what the README documents; sibling-only building blocks stay behind "./internal".
describeEntryPoints(
  { public: pub, internal },
  [
    "AbortedError",
    "BadReplyError",
    "CLIENT_DEFAULTS",
    "ClientError",
    "ClosedError",
    "HandshakeError",
    "EchoClient",
    "PipelinedClient",
    "RemoteError",
    "RequestClient",
    "Subscription",
    "TimeoutError",
    "TopicPublisher",
    "envelopeRemoteError",
  ],
  ["Slots", "onAbort", "stripUndefined", "whenAborted"],
);
