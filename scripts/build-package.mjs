#!/usr/bin/env node
// Builds one workspace package: esbuild bundles each entry point to dist/ (ESM, deps external),
// then tsc writes the declarations. Run from the package folder:
//   node ../../scripts/build-package.mjs src/index.ts [src/other.ts ...] [--bin src/cli.ts]
// Entries after --bin get a shebang and the executable bit, and bundle every package that is not a runtime
// dependency: CLI-only libraries (commander, cli-progress, pino-pretty …) are devDependencies, compiled into
// the bin, so an application that imports the library never installs them. With --split, the library entries
// share their common modules as chunks (esbuild splitting), so a class is one class whichever entry it is
// imported through (e.g. a package's public and internal entries).
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createRequire } from "node:module";

const split = process.argv.includes("--split");
const args = process.argv.slice(2).filter((arg) => arg !== "--split");
const binAt = args.indexOf("--bin");
const libEntries = binAt < 0 ? args : args.slice(0, binAt);
const binEntries = binAt < 0 ? [] : args.slice(binAt + 1);

rmSync("dist", { recursive: true, force: true });

// The package's version, for a CLI's --version: `typeof __ZPB_VERSION__ === "string" ? __ZPB_VERSION__ : …`.
const { version } = JSON.parse(readFileSync("package.json", "utf8"));

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  // Dependencies stay imports: one copy of the native zeromq addon and of protobufjs per process.
  packages: "external",
  outdir: "dist",
  outbase: "src",
  logLevel: "warning",
  define: { __ZPB_VERSION__: JSON.stringify(version) },
};

if (libEntries.length > 0) await build({ ...common, entryPoints: libEntries, splitting: split });
if (binEntries.length > 0) {
  const pkg = JSON.parse(readFileSync("package.json", "utf8"));
  const runtime = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies });
  await build({
    ...common,
    entryPoints: binEntries,
    packages: undefined,
    // A runtime dependency stays an import (and so do its subpaths); everything else is bundled.
    external: runtime.flatMap((name) => [name, `${name}/*`]),
    // Bundled CommonJS modules call require() for Node's built-ins; ESM has none, so give them one.
    banner: {
      js: '#!/usr/bin/env node\nimport { createRequire as __zpbCreateRequire } from "node:module";\nconst require = __zpbCreateRequire(import.meta.url);',
    },
  });
  for (const entry of binEntries) chmodSync(join("dist", basename(entry).replace(/\.ts$/, ".js")), 0o755);
}

// Declarations come from tsc; hand-written or generated .d.ts files beside .js sources are copied.
const require = createRequire(import.meta.url);
const tsc = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");
// No declaration maps: they would point at src/*.ts, which the published packages do not ship. (The .js
// source maps embed their sources, so stack traces still map to TypeScript.)
execFileSync(
  process.execPath,
  [tsc, "-p", "tsconfig.build.json", "--emitDeclarationOnly", "--declarationMap", "false", "--outDir", "dist"],
  { stdio: "inherit" },
);
if (existsSync("src/gen")) cpSync("src/gen", "dist/gen", { recursive: true, filter: (p) => !p.endsWith(".js") });
