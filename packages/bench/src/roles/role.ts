/** Roles a forked child can play; the runner names one when it forks `child.js`. */
export type Role =
  | "peer-server"
  | "grpc-server"
  | "req-client"
  | "dealer-client"
  | "native-dealer-client"
  | "grpc-latency-client"
  | "grpc-load-client"
  | "pipelined-client"
  | "publisher"
  | "subscriber"
  | "zpb-publisher"
  | "zpb-subscriber"
  | "codec"
  | "attackers";
