#!/usr/bin/env node
// Sums the vitest "Tests" lines of every package in a turbo test log into one closing line,
// "N passed, N failed, N skipped", so CI shows at a glance how many tests ran across the workspace.
import { readFileSync } from "node:fs";

const log = readFileSync(process.argv[2] ?? 0, "utf8").replace(
  new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"),
  "",
);
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const line of log.split("\n")) {
  const tests = /\bTests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!tests) continue;
  for (const [, count, kind] of tests[1].matchAll(/(\d+)\s+(passed|failed|skipped)/g)) totals[kind] += Number(count);
}
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
