import { Command, Option } from "commander";
import { ping } from "@zpb/proto";
import { CLIENT_DEFAULTS } from "../../options.js";
import { RequestClient } from "../../request-client.js";
import { TimeoutError } from "../../errors.js";
import { checkHostResolves } from "../endpoint.js";
import { attempts, CommandFailure } from "../failure.js";
import { formatEnvelope } from "../format.js";
import { Latency } from "../latency.js";
import { count, endpointsOption, jsonOption, positive, retriesOption, timeoutOption } from "../options.js";
import { Output } from "../output.js";
import { notPongFor } from "../pong.js";
import { clientCurve, curveTimeoutAdvice, withClientCurveOptions, type CurveFlags } from "../curve.js";

interface PingFlags extends CurveFlags {
  endpoint: string[];
  json?: boolean;
  count: number;
  timeout: number;
  retries: number;
  interval: number;
}

/** `zpb ping`: Lazy Pirate pings over REQ, one at a time, with a latency summary. */
export function pingCommand(signal: AbortSignal): Command {
  const command = new Command("ping")
    .description(
      "send Pings over REQ (retrying on timeout, Lazy Pirate) and print each Pong, then latency and lost count; " +
        "exits 1 unless every reply is a Pong with its Ping's seq",
    )
    .addOption(endpointsOption(CLIENT_DEFAULTS.endpoints.reply, "REP/ROUTER endpoint to connect to"))
    .addOption(new Option("-c, --count <n>", "how many Pings to send").default(5).argParser(positive))
    .addOption(timeoutOption())
    .addOption(retriesOption())
    .addOption(new Option("-i, --interval <ms>", "pause between Pings").default(0).argParser(count))
    .addOption(jsonOption());
  return withClientCurveOptions(command).action(async (flags: PingFlags) => {
    for (const endpoint of flags.endpoint) await checkHostResolves(endpoint);
    const where = flags.endpoint.join(", ");
    const out = new Output(flags.json ?? false);
    const latency = new Latency();
    let retried = 0;
    const curve = clientCurve(flags, out);
    const client = new RequestClient({
      endpoints: flags.endpoint,
      ...(curve ? { curve } : {}),
      timeoutMs: flags.timeout,
      retries: flags.retries,
      onRetry: (attempt) => {
        retried++;
        out.note(
          `no reply within ${flags.timeout} ms, retrying on a new socket (attempt ${attempt} of ${flags.retries + 1})`,
        );
      },
    });
    let sent = 0;
    let wrong = 0;
    let failure: Error | undefined;
    try {
      for (let seq = 1; seq <= flags.count && !signal.aborted; seq++) {
        sent++;
        const started = performance.now();
        const reply = await client.request(ping(seq), { signal });
        const ms = performance.now() - started;
        const mismatch = notPongFor(BigInt(seq), reply, where);
        if (mismatch !== undefined) {
          // A wrong answer is an answer: not lost, but the endpoint is not what was asked for; stop here.
          wrong++;
          out.event(
            "wrong",
            { seq: BigInt(seq), ms: round3(ms), reply: formatEnvelope(reply) },
            `${formatEnvelope(reply)} (not a Pong for seq ${seq})`,
          );
          failure = new CommandFailure(mismatch);
          break;
        }
        latency.record(ms);
        out.event(
          "pong",
          { seq: BigInt(seq), ms: round3(ms), reply: formatEnvelope(reply) },
          `${formatEnvelope(reply)} time=${ms.toFixed(3)} ms`,
        );
        if (flags.interval > 0 && seq < flags.count) await pause(flags.interval, signal);
      }
    } catch (error) {
      if ((error as { code?: string }).code === "ABORTED")
        sent--; // Ctrl-C: not a loss
      else failure = error instanceof Error ? error : new Error(String(error));
    } finally {
      client.close();
    }
    const received = latency.count;
    const lost = sent - received - wrong;
    out.text(`--- ${where} ping statistics ---`);
    out.event(
      "summary",
      {
        endpoint: where,
        sent,
        received,
        lost,
        wrong,
        retries: retried,
        latency: latency.summary() ?? null,
        ok: failure === undefined && lost === 0,
      },
      `${sent} sent, ${received} received, ${lost} lost, ${retried} retried${wrong > 0 ? `, ${wrong} wrong reply` : ""}\n${latency.line()}`,
    );
    if (failure instanceof TimeoutError) {
      throw new CommandFailure(
        `no reply from ${where} after ${attempts(failure.attempts)} of ${flags.timeout} ms: server unreachable or silent${curveTimeoutAdvice(flags)}`,
      );
    }
    if (failure) throw failure;
    if (lost > 0) throw new CommandFailure(`${lost} ping(s) lost`);
  });
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
