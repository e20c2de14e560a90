import { createRequire } from "node:module";
import { CommanderError } from "commander";
import { zpbProgram } from "./cli/program.js";
import { CommandFailure } from "./cli/failure.js";

// Never process.exit(): a socket with a pending receive aborts the process on exit (packages/transport/README.md,
// Traps). Commands close their sockets and set process.exitCode; Node then exits once nothing is left running.
const stop = new AbortController();
const interrupt = () => stop.abort(new Error("interrupted"));
process.once("SIGINT", interrupt);
process.once("SIGTERM", interrupt);

const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

try {
  await zpbProgram(stop.signal, version).parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // --help and --version end here with code 0; usage errors were already printed by commander.
    process.exitCode = error.exitCode;
  } else if (error instanceof CommandFailure) {
    process.stderr.write(`zpb: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    const e = error as { code?: string; message?: string };
    process.stderr.write(`zpb: ${e.code ? `${e.code}: ` : ""}${e.message ?? String(error)}\n`);
    process.exitCode = 1;
  }
}
// Once a command has finished, a second Ctrl-C should not be swallowed.
process.off("SIGINT", interrupt);
process.off("SIGTERM", interrupt);
