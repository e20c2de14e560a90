#!/usr/bin/env node
// Runs this package's `generate` script when src/gen/ is missing or older than a .proto or the
// generator, so `pnpm test` works in a fresh clone without the turbo pipeline (which runs generate
// before build and test) and costs nothing when the code is current.
import { execSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const outputs = ["src/gen/example.js", "src/gen/example.d.ts"];
const generator = join(
  dirname(createRequire(import.meta.url).resolve("@zpb/proto-gen/package.json")),
  "bin",
  "zpb-proto-gen.mjs",
);
const inputs = [
  generator,
  ...readdirSync("proto", { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".proto"))
    .map((file) => join("proto", file)),
];

const oldestOutput = Math.min(...outputs.map((file) => (existsSync(file) ? statSync(file).mtimeMs : 0)));
const newestInput = Math.max(...inputs.map((file) => statSync(file).mtimeMs));
if (oldestOutput < newestInput) {
  // With node_modules/.bin on PATH, as `pnpm run` has it, so the devDependency's zpb-proto-gen bin is found.
  const { generate } = JSON.parse(readFileSync("package.json", "utf8")).scripts;
  execSync(generate, {
    stdio: "inherit",
    env: { ...process.env, PATH: `${join("node_modules", ".bin")}:${process.env.PATH}` },
  });
}
