import { afterEach, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { echoServer, pongServer, silentServer, type TestServer } from "./test-support/servers.js";
import { killChildrenAfterEach } from "@zpb/test-support/vitest";
import { start } from "./test-support/run.js";

const FIXTURE = fileURLToPath(new URL("./test-support/uses-every-client.mjs", import.meta.url));
killChildrenAfterEach();
const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe("clean exit", () => {
  it("a process that uses every client and returns from main exits on its own", async () => {
    servers.push(await pongServer(), await echoServer(), await silentServer());
    const child = start(
      FIXTURE,
      servers.map((s) => s.endpoint),
      10_000,
    );
    await child.waitFor("done", 8000);
    const doneAt = performance.now();
    const run = await child.done; // rejects (and kills the child) if it is still alive at the bound
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("closed: CLOSED CLOSED");
    // Nothing left but teardown: exiting must not wait for a timer, a linger or a pending receive.
    expect(performance.now() - doneAt).toBeLessThan(3000);
  });
});
