// The zpb command line tells the truth: a reply that is not the Pong asked for fails the command and says
// what came back; a malformed endpoint, an out-of-range port or an unknown host is reported at once, before
// anything is sent, instead of as lost pings after the retries.
import { describe, expect, it } from "vitest";
import { pong } from "@zpb/proto";
import { echoServer, pongServer, serversClosedAfterEach } from "../test-support/servers.js";
import { killChildrenAfterEach } from "@zpb/test-support/vitest";
import { jsonLines, zpb } from "../test-support/run.js";

killChildrenAfterEach();
const server = serversClosedAfterEach();

describe("zpb ping and dealer check that each reply is the Pong asked for", () => {
  it("ping against an echo service exits 1 and says the endpoint echoes", async () => {
    const s = await server(echoServer());
    const run = await zpb(["ping", "-e", s.endpoint, "-c", "3"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `zpb: ${s.endpoint} sent our ping{seq: 1} back instead of a Pong: this endpoint echoes`,
    );
    expect(run.stdout).toContain("ping{seq: 1} (not a Pong for seq 1)");
    expect(run.stdout).toContain("1 sent, 0 received, 0 lost, 0 retried, 1 wrong reply");
    expect(s.received).toBe(1); // it stopped at the first wrong reply
  });

  it("ping exits 1 on a Pong with another seq, naming it", async () => {
    const s = await server(pongServer({ answer: (seq) => pong(seq + 1000n) }));
    const run = await zpb(["ping", "-e", s.endpoint, "-c", "2", "--json"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`zpb: ${s.endpoint} answered ping{seq: 1} with pong{seq: 1001}, not pong{seq: 1}`);
    const records = jsonLines(run.stdout);
    expect(records.map((r) => r.type)).toEqual(["wrong", "summary"]);
    expect(records[1]).toMatchObject({ sent: 1, received: 0, lost: 0, wrong: 1, ok: false });
  });

  it("ping exits 1 on an Envelope with no payload it knows", async () => {
    const s = await server(pongServer({ answer: () => ({ payload: { case: undefined } }) }));
    const run = await zpb(["ping", "-e", s.endpoint, "-c", "1"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("answered ping{seq: 1} with {unknown payload}, not pong{seq: 1}");
  });

  it("dealer against an echo service exits 1 and says the endpoint echoes", async () => {
    const s = await server(echoServer());
    const run = await zpb(["dealer", "-e", s.endpoint, "-c", "200", "-w", "10", "--json"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("back instead of a Pong: this endpoint echoes");
    const [summary] = jsonLines(run.stdout);
    expect(summary).toMatchObject({ received: 0, ok: false });
    expect(summary!.wrongReplies).toBeGreaterThanOrEqual(1);
  });
});

describe("endpoints are checked before anything is sent", () => {
  it.each([
    ["ping", "localhost:5555", 'invalid endpoint "localhost:5555": no transport'],
    ["ping", "tcp://127.0.0.1:70000", "port 70000 is outside 1-65535"],
    ["ping", "tcp://localhost", "no port"],
    ["echo", "tcp://*:5555", "can be bound, not connected to"],
    ["dealer", "tcp://127.0.0.1:0", "port 0 is outside 1-65535"],
    ["subscribe", "127.0.0.1:6000", "no transport"],
    ["publish", "tcp://127.0.0.1:99999", "port 99999 is outside 0-65535"],
  ])("%s -e %s is a usage error naming the expected form", async (command, endpoint, why) => {
    const run = await zpb([command, "-e", endpoint]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(why);
    expect(run.stderr).toContain("expected tcp://HOST:PORT (e.g. tcp://127.0.0.1:5555), ipc://PATH or inproc://NAME");
    expect(run.stdout).not.toContain("sent"); // no "1 sent, 1 lost": nothing went out
  });

  it.each([["ping"], ["echo"], ["dealer"], ["subscribe"]])(
    "%s reports an unknown host at once, not as an unreachable server after the retries",
    async (command) => {
      // With the old behaviour this would take 3 attempts × 5 s before "unreachable or silent".
      const run = await zpb([command, "-e", "tcp://no-such-host.invalid:5555", "--timeout", "5000"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('zpb: cannot resolve host "no-such-host.invalid" (tcp://no-such-host.invalid:5555)');
      expect(run.stderr).not.toContain("unreachable or silent");
      expect(run.stderr).not.toContain("retrying");
      expect(run.stdout).toBe("");
      expect(run.ms).toBeLessThan(4000); // a bound on "at once", far below the 15 s of the old path
    },
  );
});
