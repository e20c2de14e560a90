// The shape of one run's JSON file (schema "zpb-bench/1", documented in the README) and of the
// results the child processes hand back over IPC.

/** One latency histogram, summarised: microseconds, from hdr-histogram-js. */
export interface LatencySummary {
  count: number;
  minUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  meanUs: number;
  /** The percentile curve for charts: [percentile, µs] pairs. */
  curve: Array<[number, number]>;
}

/** What a load-client process measured over its run. */
export interface LoadClientResult {
  sent: number;
  /** Distinct requests answered. */
  received: number;
  /** Requests sent and never answered (after the drain). */
  lost: number;
  /** Replies for a seq already answered. */
  duplicates: number;
  /** Replies that matched no request, or carried an error / unexpected payload. */
  unexpected: number;
  /** The run ended because replies stopped coming while requests were outstanding. */
  stalled: boolean;
  /** Seconds between the warm-up mark and the last reply. */
  measuredSeconds: number;
  /** Replies per second over measuredSeconds (warm-up excluded). */
  msgsPerSec: number;
  /** Replies counted in msgsPerSec. */
  counted: number;
  /**
   * Monotonic clock (CLOCK_MONOTONIC, seconds, the same in every process of the machine) at the warm-up mark and at the
   * last reply.
   */
  fromSeconds: number;
  toSeconds: number;
  /** Wall seconds of the whole run in the client. */
  wallSeconds: number;
  /** The client process's user+system CPU seconds over the run (all its threads, libzmq's I/O thread included). */
  cpuSeconds: number;
}

/** What a request/reply latency client measured. */
export interface LatencyClientResult {
  latency: LatencySummary;
  lost: number;
  unexpected: number;
  wallSeconds: number;
  cpuSeconds: number;
}

/** What the subscriber measured. */
export interface SubscriberResult {
  received: number;
  /** count − distinct seqs received. */
  lost: number;
  /** Number of jumps in seq (each jump is one or more lost messages). */
  gaps: number;
  duplicates: number;
  msgsPerSec: number;
  measuredSeconds: number;
  sawEnd: boolean;
  cpuSeconds: number;
}

/** What the publisher measured. */
export interface PublisherResult {
  sent: number;
  seconds: number;
  msgsPerSec: number;
  cpuSeconds: number;
}

/** One codec measurement. */
export interface CodecResult {
  impl: "zpb" | "zpb-freshWriter" | "protobufjs";
  op: "encode" | "decode";
  /** Median over the repeats. */
  opsPerSec: number;
  samples: number[];
}

/** Process resources read from /proc just before a server was stopped. */
export interface ProcessResources {
  /** VmHWM: peak resident set size, bytes. */
  peakRssBytes: number;
  /** utime + stime over the process's life, seconds. */
  cpuSeconds: number;
  /** Seconds the process was alive. */
  wallSeconds: number;
}

/** The servers the suite compares. */
export type ServerKind = "zpb" | "plain-router" | "native-router" | "plain-rep" | "piscina" | "grpc";

/** The load client of a run: zeromq.js in Node ("js"), or native/load.c on libzmq ("native"). */
export type ClientKind = "js" | "native";

/** One request/reply throughput run (scenarios "pingpong" and "cpu"). */
export interface ThroughputRecord {
  scenario: "pingpong" | "cpu";
  server: ServerKind;
  /** Worker threads serving (1 for the single-threaded peers; grpc-js is single-threaded). */
  workers: number;
  /** Requests in flight across all client processes. */
  window: number;
  /** The load client (files written before the native client existed lack it: read as "js"). */
  client: ClientKind;
  clients: number;
  repeat: number;
  sent: number;
  received: number;
  lost: number;
  duplicates: number;
  unexpected: number;
  stalled: boolean;
  /**
   * Replies per second of all clients together: their counted replies ÷ (last reply of any − first warm-up mark of
   * any).
   */
  msgsPerSec: number;
  /** The busiest client's CPU use over its run, as a share of one core (1.0 = one core saturated). */
  clientCpuShare: number;
  clientCpuSeconds: number;
  /** Server CPU seconds spent during this run (from /proc before/after). */
  serverCpuSeconds: number;
  error?: string;
}

/** What a load client counted during its run; `loadClientResult` derives the rest. */
export interface LoadClientTally {
  sent: number;
  received: number;
  duplicates: number;
  unexpected: number;
  stalled: boolean;
  /** Monotonic seconds: run start, warm-up mark (0 if never reached), replies counted by then, last reply. */
  start: number;
  warmAt: number;
  warmCount: number;
  lastAt: number;
  wallSeconds: number;
  cpuSeconds: number;
}

/** The result of a load run: warm-up replies left out of msgs/s when the warm-up mark was passed. */
export function loadClientResult(t: LoadClientTally): LoadClientResult {
  const warmed = t.warmAt > 0 && t.lastAt > t.warmAt;
  const counted = warmed ? t.received - t.warmCount : t.received;
  const fromSeconds = warmed ? t.warmAt : t.start;
  const measuredSeconds = Math.max(t.lastAt - fromSeconds, 1e-9);
  return {
    sent: t.sent,
    received: t.received,
    lost: t.sent - t.received,
    duplicates: t.duplicates,
    unexpected: t.unexpected,
    stalled: t.stalled,
    measuredSeconds,
    msgsPerSec: counted / measuredSeconds,
    counted,
    fromSeconds,
    toSeconds: t.lastAt,
    wallSeconds: t.wallSeconds,
    cpuSeconds: t.cpuSeconds,
  };
}

/** What names a throughput run; the rest of its record starts at zero. */
export type ThroughputRunId = Pick<
  ThroughputRecord,
  "scenario" | "server" | "workers" | "window" | "client" | "clients" | "repeat"
>;

/** A record for `run` with every count at zero, filled in as the run goes (or left so when it fails). */
export function emptyThroughputRecord(run: ThroughputRunId): ThroughputRecord {
  return {
    ...run,
    sent: 0,
    received: 0,
    lost: 0,
    duplicates: 0,
    unexpected: 0,
    stalled: false,
    msgsPerSec: 0,
    clientCpuShare: 0,
    clientCpuSeconds: 0,
    serverCpuSeconds: 0,
  };
}

/** One latency run (scenario "latency"). */
export interface LatencyRecord {
  server: ServerKind;
  workers: number;
  latency?: LatencySummary;
  lost: number;
  unexpected: number;
  clientCpuSeconds: number;
  error?: string;
}

/** One row of the CURVE scenario: our server plaintext or with CURVE + an allow-list, same run, same clients. */
export interface CurveRecord {
  security: "plaintext" | "curve";
  workers: number;
  /** Pipelined Ping/Pong (zeromq.js DEALER client, one process). */
  window: number;
  sent: number;
  received: number;
  lost: number;
  msgsPerSec: number;
  /** Sequential REQ round trips. */
  latency?: LatencySummary;
  error?: string;
}

/** One publish/subscribe run. */
export interface PubSubRecord {
  /** sendHighWaterMark on PUB and receiveHighWaterMark on SUB; "default" leaves libzmq's 1000; 0 = unlimited. */
  hwm: number | "default";
  count: number;
  sent: number;
  received: number;
  lost: number;
  lostPercent: number;
  gaps: number;
  msgsPerSec: number;
  publisherMsgsPerSec: number;
  error?: string;
}

/** One batched request/reply run through our server (scenario "batch"). */
export interface BatchRecord {
  /** Requests per ZeroMQ message (1 = single frames, the wire every peer speaks). */
  batch: number;
  window: number;
  /** "js": our own PipelinedClient; "native": native/load.c on libzmq. */
  client: ClientKind;
  workers: number;
  /** Our server started with --pin. */
  pin: boolean;
  sent: number;
  received: number;
  lost: number;
  msgsPerSec: number;
  clientCpuShare: number;
  serverCpuSeconds: number;
  /** Envelopes answered per second of server CPU (all its threads): the cost of a message to the server. */
  envelopesPerCoreSecond: number;
  /** Round trips after warm-up (JS client only). */
  p50Us?: number;
  p99Us?: number;
  error?: string;
}

/** One batched publish/subscribe run (scenario "batch"): who published, who subscribed, how many per message. */
export interface BatchPubSubRecord {
  batch: number;
  /** "zpb": TopicPublisher / Subscription; "plain": a zeromq.js loop (single frames only). */
  publisher: "zpb" | "plain";
  subscriber: "zpb" | "plain";
  count: number;
  sent: number;
  received: number;
  lost: number;
  msgsPerSec: number;
  publisherMsgsPerSec: number;
  subscriberCpuSeconds: number;
  error?: string;
}

/** Resources of one server process over its whole life in a scenario. */
export interface ResourceRecord extends ProcessResources {
  scenario: "pingpong" | "cpu";
  server: ServerKind;
  workers: number;
  /** Requests it answered over its life in the scenario (all windows). */
  answered: number;
  /** Exit code after SIGTERM/stop (null when it had to be killed). */
  exitCode: number | null;
}

/** A target from the issue, judged on this run. */
export interface TargetRecord {
  id: string;
  description: string;
  /** The measured figure (a ratio or a count); null when the run lacked the data. */
  value: number | null;
  threshold: number;
  /** "≥" or "≤" or "<" — how value is compared with threshold. */
  compare: ">=" | "<=" | "<";
  met: boolean | null;
  detail: string;
}

/** The machine the run was measured on. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  availableParallelism: number;
  memoryBytes: number;
  kernel: string;
  node: string;
  libs: Record<string, string>;
  loadAverageAtStart: number[];
}

/** The whole JSON file. */
/** One run of scenario "hostile": a well-behaved REQ client's latency and our server's memory, with or without attackers. */
export interface HostileRecord {
  /** Whether slow readers and a multipart flood attacked the server during the run. */
  attackers: boolean;
  latency?: LatencySummary;
  lost: number;
  /** The server's peak RSS (VmHWM) over the run, MiB. */
  serverPeakRssMiB?: number;
  /** What the attackers did (messages the slow readers sent, flood messages written). */
  attack?: { slowReaderSends: number; floodMessages: number; floodFrames: number };
  error?: string;
}

export interface BenchResult {
  schema: "zpb-bench/1";
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  command: string;
  options: Record<string, unknown>;
  machine: MachineInfo;
  calibration: { heavyIterations: number; heavyMicros: number };
  /** The load clients of the throughput and scaling runs, and whether the native one could be built (and why not). */
  loadClients: { kinds: ClientKind[]; native: { available: boolean; detail: string } };
  /** The "libzmq native" ROUTER peer (native/router.c): built and shown as a server row, or why not. */
  nativeRouter: { available: boolean; detail: string };
  latency: LatencyRecord[];
  /** Scenario "hostile" (absent in results written before it existed). */
  hostile?: HostileRecord[];
  throughput: ThroughputRecord[];
  pubsub: PubSubRecord[];
  /** Scenario "batch": batched Ping/Pong through our server, and batched publish/subscribe (files before it lack both). */
  batch?: BatchRecord[];
  batchPubsub?: BatchPubSubRecord[];
  /** CURVE vs plaintext (absent in files written before the scenario existed). */
  curve?: CurveRecord[];
  codec: CodecResult[];
  resources: ResourceRecord[];
  targets: TargetRecord[];
  /** Scenario-level failures (a scenario that timed out or could not start). */
  errors: Array<{ scenario: string; message: string }>;
  /** Every process the runner started (pid, role), for audits that nothing was left behind. */
  processes: Array<{ pid: number; role: string }>;
}
