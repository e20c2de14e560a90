import { mkdir } from "node:fs/promises";
import { writeCertificates } from "@zpb/transport";
import { Command, Option } from "commander";
import { CommandFailure } from "../failure.js";
import { jsonOption } from "../options.js";
import { Output } from "../output.js";

interface KeygenFlags {
  out: string;
  name: string;
  force?: boolean;
  json?: boolean;
}

/** `zpb keygen`: a CURVE certificate pair in the files czmq's zcert and pyzmq's zmq.auth read. */
export function keygenCommand(): Command {
  return new Command("keygen")
    .description(
      "write a CURVE key pair: NAME.key (public certificate: give it to peers) and NAME.key_secret (secret, mode 0600), as pyzmq's zmq.auth.create_certificates() does",
    )
    .addOption(new Option("-o, --out <dir>", "directory to write the two files to (created if missing)").default("."))
    .addOption(new Option("-n, --name <name>", "file name stem: NAME.key and NAME.key_secret").default("zpb"))
    .addOption(new Option("-f, --force", "replace existing files"))
    .addOption(jsonOption())
    .action(async (flags: KeygenFlags) => {
      const out = new Output(flags.json ?? false);
      // A new directory for key files is private to its owner, like ~/.ssh.
      await mkdir(flags.out, { recursive: true, mode: 0o700 });
      const written = await writeCertificates(flags.out, flags.name, {
        metadata: { name: flags.name },
        overwrite: flags.force ?? false,
      }).catch((error: unknown) => {
        if ((error as { code?: string }).code === "EXISTS")
          throw new CommandFailure(`${(error as Error).message} (--force replaces the pair)`);
        throw error;
      });
      // The secret key itself is never printed, in either mode.
      out.event(
        "keygen",
        { publicFile: written.publicFile, secretFile: written.secretFile, publicKey: written.publicKey },
        [
          `public certificate: ${written.publicFile}   (share it: servers list it in --authorized-keys, clients pass it as --server-key)`,
          `secret certificate: ${written.secretFile}   (mode 0600; keep it on this host: --key / --curve-key)`,
          `public key: ${written.publicKey}`,
        ].join("\n"),
      );
    });
}
