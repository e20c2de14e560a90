// The attackers of scenario "hostile": clients that send 64 KiB to echo and never read a reply (slow
// consumers), and raw-ZMTP peers that send messages of many one-byte frames (the multipart flood). They run
// until the runner says "stop", then report what they did.
import { multipartFlood, slowReaders } from "@zpb/test-support";
import { tell, waitFor } from "../ipc.js";

export interface AttackersConfig {
  /** Our server's echo endpoint (the slow readers' target) and its main endpoint (the flood's). */
  echoEndpoint: string;
  mainEndpoint: string;
  slowReaders: number;
  payloadBytes: number;
  floodMessages: number;
  floodFrames: number;
}

export async function runAttackers(config: AttackersConfig): Promise<void> {
  const readers = slowReaders(config.echoEndpoint, config.slowReaders, new Uint8Array(config.payloadBytes));
  const flood = Promise.all(
    Array.from({ length: config.floodMessages }, () => multipartFlood(config.mainEndpoint, 1, config.floodFrames)),
  );
  tell({ type: "ready", info: {} });
  await waitFor("stop");
  await readers.stop();
  const written = (await flood).reduce((sum, f) => sum + f.written, 0);
  tell({
    type: "result",
    data: { slowReaderSends: readers.sent(), floodMessages: written, floodFrames: config.floodFrames },
  });
}
