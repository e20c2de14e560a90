// What a user outside this repository gets: every publishable package packed with pnpm (which rewrites
// `workspace:` ranges), the tarballs installed with plain npm into a temporary project outside the repo,
// a TypeScript program type-checked against them with skipLibCheck: false, then run. Needs the npm registry
// for the third-party dependencies (zeromq, protobufjs, piscina …).
import { execFile, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  copyFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../..", import.meta.url));
const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");

/** Libraries only the command lines use: bundled into the bins, never a runtime dependency of a library. */
const CLI_ONLY = ["commander", "cli-progress", "hdr-histogram-js", "pino", "pino-pretty", "protobufjs-cli"];

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  repository?: { url?: string; directory?: string };
  engines?: { node?: string };
  files?: string[];
  sideEffects?: boolean;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const publishable = readdirSync(join(repo, "packages"))
  .map((dir) => ({
    dir: join(repo, "packages", dir),
    manifest: readJson<Manifest>(join(repo, "packages", dir, "package.json")),
  }))
  .filter((p) => p.manifest.private !== true);

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

let scratch: string;
let project: string;
const packed = new Map<string, { tarball: string; manifest: Manifest; files: string[] }>();

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "zpb-pack-"));
  const tarballs = join(scratch, "tarballs");
  mkdirSync(tarballs);
  for (const { dir, manifest } of publishable) {
    const { stdout } = await run("npx", ["-y", "pnpm@10", "pack", "--pack-destination", tarballs, "--json"], {
      cwd: dir,
      timeout: 60_000,
    });
    const result = JSON.parse(stdout) as { filename: string; files: Array<{ path: string }> };
    const unpacked = join(scratch, "unpacked", manifest.name);
    mkdirSync(unpacked, { recursive: true });
    await run("tar", ["xzf", result.filename, "-C", unpacked], { timeout: 30_000 });
    packed.set(manifest.name, {
      tarball: result.filename,
      manifest: readJson<Manifest>(join(unpacked, "package", "package.json")),
      files: result.files.map((f) => f.path),
    });
  }

  project = join(scratch, "app");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "zpb-user", private: true, type: "module" }));
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        skipLibCheck: false,
        types: ["node"],
        outDir: "out",
      },
      files: ["program.ts"],
    }),
  );
  copyFileSync(join(dirname(fileURLToPath(import.meta.url)), "fixtures", "program.ts"), join(project, "program.ts"));
  const libraries = [...packed.values()].filter((p) => p.manifest.name !== "@zpb/proto-gen").map((p) => p.tarball);
  const npm = ["--no-audit", "--no-fund", "--loglevel=error"];
  await run("npm", ["install", ...npm, ...libraries], { cwd: project, timeout: 240_000 });
  await run("npm", ["install", ...npm, "--save-dev", packed.get("@zpb/proto-gen")!.tarball, "@types/node@^20"], {
    cwd: project,
    timeout: 240_000,
  });
}, 600_000);

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe("the packed packages", () => {
  it("every publishable package has a license, repository, engines, files and sideEffects", () => {
    expect(publishable.map((p) => p.manifest.name).sort()).toEqual([
      "@zpb/client",
      "@zpb/proto",
      "@zpb/proto-gen",
      "@zpb/server",
      "@zpb/transport",
    ]);
    for (const { manifest, files } of packed.values()) {
      expect(manifest.license, manifest.name).toBe("Apache-2.0");
      expect(files, manifest.name).toContain("LICENSE");
      expect(manifest.repository?.directory, manifest.name).toMatch(/^packages\//);
      expect(manifest.engines?.node, manifest.name).toBe(">=20.10");
      expect(manifest.files?.length, manifest.name).toBeGreaterThan(0);
      expect(manifest.sideEffects, manifest.name).toBe(false);
    }
  });

  it("ranges resolve outside the workspace: no workspace: protocol left, siblings as caret ranges", () => {
    for (const { manifest } of packed.values()) {
      for (const deps of [manifest.dependencies, manifest.devDependencies, manifest.peerDependencies]) {
        for (const [name, range] of Object.entries(deps ?? {}))
          expect(range, `${manifest.name} → ${name}`).not.toMatch(/^workspace:/);
      }
      // What a user's install resolves: a sibling at any compatible version, so two packages share one copy.
      for (const deps of [manifest.dependencies, manifest.peerDependencies]) {
        for (const [name, range] of Object.entries(deps ?? {}))
          if (name.startsWith("@zpb/")) expect(range, `${manifest.name} → ${name}`).toMatch(/^\^\d+\.\d+\.\d+$/);
      }
    }
  });

  it("no declaration map points at a source file the package does not ship", () => {
    for (const { manifest, files } of packed.values()) {
      for (const map of files.filter((f) => f.endsWith(".d.ts.map"))) {
        const sources = readJson<{ sources: string[] }>(
          join(scratch, "unpacked", manifest.name, "package", map),
        ).sources;
        for (const source of sources)
          expect(files, `${manifest.name}: ${map} → ${source}`).toContain(join(dirname(map), source));
      }
    }
  });

  it("libraries do not depend on codegen or CLI-only packages", () => {
    for (const { manifest } of packed.values()) {
      if (manifest.name === "@zpb/proto-gen") continue;
      for (const name of CLI_ONLY) expect(Object.keys(manifest.dependencies ?? {}), manifest.name).not.toContain(name);
    }
    expect(packed.get("@zpb/proto-gen")!.manifest.dependencies).toHaveProperty("protobufjs-cli");
  });
});

describe("installed with plain npm into a project outside the repository", () => {
  it("the runtime dependency tree holds no CLI-only package", async () => {
    const { stdout } = await run("npm", ["ls", "--omit=dev", "--all", "--parseable"], {
      cwd: project,
      timeout: 60_000,
    });
    const installed = stdout.split("\n").map((path) => path.split("node_modules/").at(-1) ?? "");
    expect(installed).toContain("zeromq");
    for (const name of CLI_ONLY) expect(installed, name).not.toContain(name);
  });

  it("a TypeScript program type-checks against the shipped declarations (skipLibCheck: false) and runs", async () => {
    const compiled = await run(process.execPath, [tsc, "-p", "."], { cwd: project, timeout: 120_000 }).catch(
      (error: { stdout?: string; message: string }) => {
        throw new Error(`tsc failed:\n${error.stdout ?? error.message}`);
      },
    );
    expect(compiled.stdout).toBe("");
    const { stdout } = await run(process.execPath, ["out/program.js"], { cwd: project, timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ pipelined: ["pong:1", "pong:2", "pong:3"], request: "pong:42", workers: 1 });
  }, 180_000);

  it("the installed bins run: zpb, zpb-server and zpb-proto-gen (their CLI libraries bundled)", async () => {
    const bin = (name: string) => join(project, "node_modules", ".bin", name);
    expect((await run(bin("zpb"), ["--help"], { timeout: 30_000 })).stdout).toContain("Usage: zpb");
    expect((await run(bin("zpb-server"), ["--help"], { timeout: 30_000 })).stdout).toContain("Usage: zpb-server");
    expect((await run(bin("zpb-proto-gen"), ["--help"], { timeout: 30_000 })).stdout).toContain("Usage: zpb-proto-gen");
    expect(existsSync(join(project, "node_modules", "commander"))).toBe(false);
  }, 60_000);

  it("the installed zpb-server bin is a supervisor's command: SIGTERM to it drains and exits 0", async () => {
    const server = spawn(
      join(project, "node_modules", ".bin", "zpb-server"),
      ["--bind", "tcp://127.0.0.1:*", "--no-echo", "--workers", "1", "--log-format", "json"],
      { cwd: project, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    server.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => server.on("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!stdout.includes('"endpoints"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(stdout).toContain('"endpoints"');
      server.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(stdout).toContain("zpb server stopped");
    } finally {
      if (server.exitCode === null) server.kill("SIGKILL");
    }
  }, 60_000);
});
