#!/usr/bin/env node
// zpb-proto-gen: static ESM code + .d.ts from a folder of .proto files (protobufjs-cli's pbjs), the same
// way @zpb/proto builds its own src/gen/. The output is a build output: gitignore it, regenerate it.
// Run `zpb-proto-gen --help` for usage. Paths are relative to the current folder, so the bin works from
// any package that has @zpb/proto-gen as a devDependency; pbjs is resolved from here, not from the caller.
// It lives in its own package so protobufjs-cli (jsdoc, babel, glob …) is a build-time tool only and
// never part of an application's runtime dependencies.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";

const USAGE = `Usage: zpb-proto-gen [options] [protoDir] [outDir]

Generates <outDir>/<name>.js (ESM, static classes) and <name>.d.ts from every .proto under <protoDir>
(searched recursively; <protoDir> is also the import path, so \`import "sub/x.proto"\` resolves).

Arguments:
  protoDir           folder holding your .proto files (default: proto)
  outDir             where the code goes (default: src/gen)

Options:
  -n, --name <name>  output file name without extension (default: the .proto's name when there is
                     exactly one, else "index")
  -r, --root <key>   protobufjs.roots key the generated namespaces live under (default: the name).
                     Give each generated module its own key: two modules sharing one key overwrite
                     each other's namespaces when their .proto packages have the same name.
  -h, --help         show this text

Example:
  zpb-proto-gen proto src/gen      # proto/quotes.proto -> src/gen/quotes.js + quotes.d.ts
  then: import { market } from "./gen/quotes.js"; createCodec(market.Quote, { ... })

The generated .js imports "protobufjs/minimal.js": your package needs protobufjs (same major as
@zpb/proto's) among its own dependencies.`;

function fail(message) {
  console.error(`zpb-proto-gen: ${message}\n\n${USAGE}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: "string", short: "n" },
      root: { type: "string", short: "r" },
      help: { type: "boolean", short: "h" },
    },
  });
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
// A third positional is the name, as in the first version of this script.
if (positionals.length > 3) fail(`too many arguments: ${positionals.join(" ")}`);
const [protoDir = "proto", outDir = "src/gen", legacyName] = positionals;

if (!existsSync(protoDir) || !statSync(protoDir).isDirectory()) fail(`no such folder: ${resolve(protoDir)}`);
const protos = readdirSync(protoDir, { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".proto"))
  .sort()
  .map((file) => join(protoDir, file));
if (protos.length === 0) fail(`no .proto files under ${resolve(protoDir)}`);

const name = values.name ?? legacyName ?? (protos.length === 1 ? basename(protos[0], ".proto") : "index");
if (!/^[\w.-]+$/.test(name)) fail(`--name must be a plain file name, got "${name}"`);
const root = values.root ?? name;
const outFile = join(outDir, `${name}.js`);

const require = createRequire(import.meta.url);
let pbjs;
try {
  pbjs = join(dirname(require.resolve("protobufjs-cli/package.json")), "bin", "pbjs");
} catch {
  fail("protobufjs-cli is not installed next to @zpb/proto-gen (reinstall its dependencies)");
}

mkdirSync(outDir, { recursive: true });
try {
  execFileSync(
    process.execPath,
    [
      pbjs,
      "-t",
      "static-module",
      "-w",
      "esm",
      "--dts",
      "-r",
      root,
      // verify/convert/delimited/typeurl helpers are unused by the codec; leaving them out keeps bundles small.
      "--no-verify",
      "--no-convert",
      "--no-delimited",
      "--no-typeurl",
      "-p",
      protoDir,
      "-o",
      outFile,
      ...protos,
    ],
    { stdio: "inherit" },
  );
} catch {
  console.error(`zpb-proto-gen: pbjs failed on ${protos.join(", ")} (its message is above)`);
  process.exit(1);
}

// The generated module imports protobufjs by name; with pnpm's strict layout that only resolves when
// the package it is written into depends on protobufjs itself. Say so now rather than at first import.
// ESM ignores NODE_PATH (which pnpm's bin shims set), so look for node_modules/ the way `import` does.
if (!resolvesFrom(resolve(outDir), "protobufjs")) {
  console.warn(
    `zpb-proto-gen: warning: "protobufjs/minimal.js" does not resolve from ${resolve(outDir)}; ` +
      "add protobufjs (same major as @zpb/proto's) to that package's dependencies",
  );
}
console.log(`zpb-proto-gen: ${protos.length} .proto -> ${relative(process.cwd(), outFile)} (+ .d.ts), root "${root}"`);

/** Whether an ESM `import "<name>/..."` from a module in `dir` finds the package. */
function resolvesFrom(dir, name) {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, "node_modules", name, "package.json"))) return true;
    if (dirname(at) === at) return false;
  }
}
