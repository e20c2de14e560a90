// The CLI's CURVE flags: `--server-key` and `--key` on every client command, `--key` and
// `--authorized-keys` on `publish` (a publisher is the CURVE server). Keys come from certificate files, so
// secret keys never sit on a command line (visible in `ps` and shell history) or in any output.
import { isCurveKey, secretFileModeProblem, type CurveClientKeys } from "@zpb/transport";
import { type Command, Option } from "commander";
import type { TopicPublisherCurve } from "../publisher.js";
import { CommandFailure } from "./failure.js";
import type { Output } from "./output.js";

/** The CURVE flags as parsed. */
export interface CurveFlags {
  serverKey?: string;
  key?: string;
  authorizedKeys?: string;
}

/** Adds `--server-key` and `--key`, for commands that connect to a server. */
export function withClientCurveOptions(command: Command): Command {
  for (const option of clientCurveOptions()) command.addOption(option);
  return command;
}

/** Adds `--key` and `--authorized-keys`, for `publish`. */
export function withServerCurveOptions(command: Command): Command {
  for (const option of serverCurveOptions()) command.addOption(option);
  return command;
}

const clientCurveOptions = (): Option[] => [
  new Option(
    "--server-key <file|z85>",
    "encrypt with CURVE: the server's public certificate file (server.key) or its 40-character Z85 public key",
  ),
  new Option(
    "--key <file>",
    "this client's secret certificate file (NAME.key_secret from `zpb keygen`) when the server has an allow-list (default: a key pair made for this run)",
  ),
];

const serverCurveOptions = (): Option[] => [
  new Option("--key <file>", "publish over CURVE: this publisher's secret certificate file (NAME.key_secret)"),
  new Option(
    "--authorized-keys <dir>",
    "with --key: accept only subscribers whose public certificate (*.key) is in this directory",
  ),
];

/** The client's `curve` option from the flags (undefined without --server-key), warning about an exposed secret file. */
export function clientCurve(flags: CurveFlags, out: Output): CurveClientKeys | undefined {
  if (flags.serverKey === undefined) {
    if (flags.key !== undefined) throw new CommandFailure("--key needs --server-key (the server's public key)");
    return undefined;
  }
  if (flags.key === undefined) return { serverKey: flags.serverKey };
  checkSecretFile(flags.key, "--key", out);
  return { serverKey: flags.serverKey, secretKey: flags.key };
}

/** A publisher's `curve` option from the flags (undefined without --key). */
export function publisherCurve(flags: CurveFlags, out: Output): TopicPublisherCurve | undefined {
  if (flags.key === undefined) {
    if (flags.authorizedKeys !== undefined) throw new CommandFailure("--authorized-keys needs --key");
    return undefined;
  }
  checkSecretFile(flags.key, "--key", out);
  return {
    secretKey: flags.key,
    ...(flags.authorizedKeys === undefined ? {} : { authorizedKeys: flags.authorizedKeys }),
    onRefused: (r) => out.note(`refused subscriber ${r.address} with key ${r.publicKey ?? "?"}: ${r.reason}`),
  };
}

function checkSecretFile(path: string, flag: string, out: Output): void {
  if (isCurveKey(path)) {
    // Not echoed back: it may be a real secret key.
    throw new CommandFailure(
      `${flag} takes a secret certificate file, not a key: a key on the command line is visible to other users (ps, shell history)`,
    );
  }
  const problem = secretFileModeProblem(path);
  if (problem !== undefined) out.note(`WARNING: ${problem}`);
}

/** What a timeout message adds when CURVE is on. */
export function curveTimeoutAdvice(flags: CurveFlags): string {
  return flags.serverKey === undefined
    ? ""
    : " (CURVE: check --server-key, and that the server authorizes this client's key)";
}
