#!/usr/bin/env node
// Generates static code and types from every .proto under proto/ into src/gen/ (a build output,
// not committed). Usage: node scripts/generate.mjs [protoDir] [outDir] [name]
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const [protoDir = "proto", outDir = "src/gen", name = "example"] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const pbjs = join(dirname(require.resolve("protobufjs-cli/package.json")), "bin", "pbjs");
const protos = readdirSync(protoDir).filter((f) => f.endsWith(".proto")).map((f) => join(protoDir, f));

mkdirSync(outDir, { recursive: true });
execFileSync(
  process.execPath,
  [
    pbjs, "-t", "static-module", "-w", "esm", "--dts",
    // verify/convert/delimited/typeurl helpers are unused by the codec; leaving them out keeps bundles small.
    "--no-verify", "--no-convert", "--no-delimited", "--no-typeurl",
    "-p", protoDir, "-o", join(outDir, `${name}.js`), ...protos,
  ],
  { stdio: "inherit" },
);
