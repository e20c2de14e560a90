import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { Child, freePort, LOOPBACK, run, waitUntil, within } from "./index.js";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const FOREVER = ["-e", "console.log('up'); setInterval(() => {}, 1000)"];

describe("Child", () => {
  it("collects output and the exit code", async () => {
    const ended = await run(["-e", "console.log('out'); console.error('err'); process.exit(3)"]);
    expect(ended).toMatchObject({ code: 3, signal: null, stdout: "out\n", stderr: "err\n" });
  });

  it("kills a process that outlives its bound, by PID, and rejects", async () => {
    const child = new Child(FOREVER, { boundMs: 500 });
    await child.waitFor("up");
    await expect(child.done).rejects.toThrow(/still running after 500 ms/);
    await waitUntil(() => !alive(child.pid), "the bounded child to be gone");
  });

  it("waits for a line, and fails fast when the process ends without printing it", async () => {
    const child = new Child(["-e", "setTimeout(() => console.log('ready at 7'), 100)"]);
    await child.waitFor(/ready at \d/, 5000);
    await expect(new Child(["-e", "console.log('bye')"]).waitFor("never", 5000)).rejects.toThrow(/ended before/);
    await expect(new Child(FOREVER).waitFor("never", 200)).rejects.toThrow(/not printed within 200 ms/);
    await Child.killAll();
  });

  it("stop sends SIGTERM, then SIGKILL after the grace period", async () => {
    const polite = new Child(FOREVER);
    await polite.waitFor("up");
    expect((await polite.stop(5000)).signal).toBe("SIGTERM");
    const stubborn = new Child([
      "-e",
      "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1e3)",
    ]);
    await stubborn.waitFor("up");
    expect((await stubborn.stop(200)).signal).toBe("SIGKILL");
  });

  it("killAll ends every short-lived child and spares long-lived ones", async () => {
    const short = new Child(FOREVER);
    const server = new Child(FOREVER, { longLived: true });
    await Promise.all([short.waitFor("up"), server.waitFor("up")]);
    await within(Child.killAll(), "killAll");
    expect(short.running).toBe(false);
    expect(alive(short.pid)).toBe(false);
    expect(server.running).toBe(true);
    await server.stop(2000);
  });

  it("reports a program that cannot start as ended, not as a hang", async () => {
    const ended = await run([], { command: "/nonexistent/zpb-test-program" });
    expect(ended.code).toBeNull();
    expect(ended.stderr).toMatch(/ENOENT/);
  });
});

describe("freePort", () => {
  it("returns a loopback port that can be bound right away", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(1023);
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, LOOPBACK, resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});
