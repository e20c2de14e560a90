// The README's settings table must be what the registries say. `pnpm run docs:settings` rewrites it.
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { settingsTable } from "./settings-table.js";

const README = new URL("../README.md", import.meta.url);
const START = "<!-- settings-table: generated from src/settings.ts and src/cli-settings.ts; pnpm run docs:settings -->";
const END = "<!-- /settings-table -->";

describe("the README's settings table", () => {
  it("matches the settings registries", () => {
    const readme = readFileSync(README, "utf8");
    const start = readme.indexOf(START);
    const end = readme.indexOf(END);
    expect(start, `README.md needs the markers ${START} … ${END}`).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const wanted = `${START}\n\n${settingsTable()}\n\n`;
    const current = readme.slice(start, end);
    if (current !== wanted && process.env.UPDATE_SETTINGS_TABLE === "1") {
      writeFileSync(README, readme.slice(0, start) + wanted + readme.slice(end));
      return;
    }
    expect(current, "the README's settings table is stale: run `pnpm run docs:settings`").toBe(wanted);
  });
});
