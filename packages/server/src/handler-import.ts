// Imports a handler module inside a worker thread, TypeScript included. Worker threads inherit the server's
// Node options (execArgv, Node's default for worker_threads), so `node --import tsx …` reaches them; but on
// Node 20 tsx registers its hooks on the main thread only and skips worker threads, so a `.ts` handler still
// fails there with ERR_UNKNOWN_FILE_EXTENSION. When the server runs under tsx, this thread then registers tsx
// through its public API (resolved from the working directory, as Node resolves `--import tsx`) and retries.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { ServerError } from "./errors.js";

const TYPESCRIPT = /\.[cm]?tsx?$/i;

/** What to tell someone whose `.ts` handler cannot load: how to run the server so that it can. */
export function typescriptHint(spec: string): string {
  return (
    `${spec} is TypeScript, and the server runs without a TypeScript loader: install tsx (npm install -D tsx) ` +
    `and start the server under it — NODE_OPTIONS="--import tsx" npx zpb-server --handler ./handler.ts, or ` +
    "node --import tsx node_modules/@zpb/server/dist/cli.js --handler ./handler.ts — or compile the handler to JavaScript"
  );
}

/** Imports `spec` (an absolute URL or a package name); a `.ts` file loads when the server runs under tsx. */
export async function importHandler(spec: string): Promise<unknown> {
  try {
    return await import(spec);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ERR_UNKNOWN_FILE_EXTENSION" || !TYPESCRIPT.test(pathOf(spec)))
      throw error;
    if (!(await registerTsxHere())) throw new ServerError("HANDLER_LOAD", typescriptHint(spec), { cause: error });
    // A new URL: the module cache remembers the failed attempt under the old one.
    return await import(withQuery(spec, "zpb-tsx"));
  }
}

/** The tsx specifier given to `--import` (or `--loader`) in Node options (execArgv or NODE_OPTIONS words), if any. */
export function tsxLoaderIn(execArgv: readonly string[]): string | undefined {
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const inline = /^--(?:import|loader|experimental-loader)=(.+)$/.exec(arg)?.[1];
    const value = inline ?? (/^--(?:import|loader|experimental-loader)$/.test(arg) ? execArgv[i + 1] : undefined);
    if (value !== undefined && /^tsx(\/|$)/.test(value)) return value;
  }
  return undefined;
}

let registered: Promise<boolean> | undefined;

/** Registers tsx's ESM hooks in this thread once, when the process was started with tsx; false otherwise. */
function registerTsxHere(): Promise<boolean> {
  registered ??= (async () => {
    const nodeOptions = (process.env.NODE_OPTIONS ?? "").split(/\s+/).filter((word) => word !== "");
    if (tsxLoaderIn([...process.execArgv, ...nodeOptions]) === undefined) return false;
    const fromCwd = createRequire(join(process.cwd(), "noop.js"));
    let manifestPath: string;
    try {
      manifestPath = fromCwd.resolve("tsx/package.json");
    } catch {
      return false;
    }
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
      exports?: Record<string, { import?: string | { default?: string } }>;
    };
    const entry = manifest.exports?.["./esm/api"]?.import;
    const file = typeof entry === "string" ? entry : entry?.default;
    if (file === undefined) return false;
    const api = (await import(pathToFileURL(join(dirname(manifestPath), file)).href)) as { register?: () => unknown };
    if (typeof api.register !== "function") return false;
    api.register();
    return true;
  })();
  return registered;
}

function pathOf(spec: string): string {
  try {
    return new URL(spec).pathname;
  } catch {
    return spec;
  }
}

function withQuery(spec: string, key: string): string {
  const url = new URL(spec);
  url.searchParams.set(key, "1");
  return url.href;
}
