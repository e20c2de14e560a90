#!/usr/bin/env node
// Runs this package's `generate` script when src/gen/ is missing or older than a .proto or the
// generator, so `pnpm test` works in a fresh clone without the turbo pipeline (which runs generate
// before build and test) and costs nothing when the code is current.
import { execSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const outputs = ["src/gen/example.js", "src/gen/example.d.ts"];
const inputs = [
  "scripts/generate.mjs",
  ...readdirSync("proto", { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".proto"))
    .map((file) => join("proto", file)),
];

const oldestOutput = Math.min(...outputs.map((file) => (existsSync(file) ? statSync(file).mtimeMs : 0)));
const newestInput = Math.max(...inputs.map((file) => statSync(file).mtimeMs));
if (oldestOutput < newestInput) {
  const { generate } = JSON.parse(readFileSync("package.json", "utf8")).scripts;
  execSync(generate, { stdio: "inherit" });
}
