import { beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ChildError, ProcessRegistry, cpuSecondsOf, groupAlive, resourcesOf } from "./procs.js";
import { PACKAGE_DIR } from "./servers.js";

const CHILD = join(PACKAGE_DIR, "dist", "child.js");

describe("/proc readings", () => {
  it("reads this process's peak RSS, CPU seconds and age", () => {
    const before = cpuSecondsOf(process.pid);
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i % 7;
    expect(x).toBeGreaterThan(0);
    const r = resourcesOf(process.pid);
    expect(r.peakRssBytes).toBeGreaterThanOrEqual(process.memoryUsage().rss * 0.5);
    expect(r.cpuSeconds).toBeGreaterThan(before);
    expect(r.wallSeconds).toBeGreaterThan(0);
  });
});

describe("ProcessRegistry", () => {
  // A missing build fails these tests; it never skips them.
  beforeAll(() => {
    if (!existsSync(CHILD)) throw new Error(`${CHILD} is missing: build first (pnpm --filter @zpb/bench build)`);
  });

  it("bounds every wait: a child that never answers times out, then stop kills its group", async () => {
    const registry = new ProcessRegistry(CHILD);
    // the codec role waits for "go" forever; nobody sends it
    const proc = registry.forkRole("codec", { sampleMs: 10, samples: 1 });
    await proc.next("ready", 20_000);
    await expect(proc.next("result", 300)).rejects.toMatchObject({ code: "CHILD_TIMEOUT" });
    expect(groupAlive(proc.pid)).toBe(true);
    await registry.stopAll(2000);
    expect(proc.running).toBe(false);
    expect(groupAlive(proc.pid)).toBe(false);
  });

  it("reports a child that dies before answering, with its stderr", async () => {
    const registry = new ProcessRegistry(CHILD);
    const proc = registry.forkRole("subscriber", "not an object" as unknown);
    const err = await proc.next("result", 10_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChildError);
    expect(["CHILD_FAILED", "CHILD_EXITED"]).toContain((err as ChildError).code);
    await registry.stopAll(1000);
    expect(registry.running).toEqual([]);
  });
});
