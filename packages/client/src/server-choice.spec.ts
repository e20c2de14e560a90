import { afterEach, describe, expect, it, vi } from "vitest";
import { ServerChoice } from "./server-choice.js";

afterEach(() => vi.useRealTimers());
const picks = (choice: ServerChoice, n: number, avoid?: number) => Array.from({ length: n }, () => choice.next(avoid));

describe("ServerChoice", () => {
  it("deals round-robin and prefers any server but the one to avoid", () => {
    const choice = new ServerChoice(3, { minMs: 100, maxMs: 1000 });
    expect(picks(choice, 6)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(picks(choice, 4, 1)).toEqual([0, 2, 0, 2]);
    expect(new ServerChoice(1, { minMs: 100, maxMs: 1000 }).next(0)).toBe(0); // one server: no alternative
  });

  it("sits a failed server out for a back-off that doubles per incident, and takes it back when it answers", () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    const choice = new ServerChoice(2, { minMs: 100, maxMs: 250 });
    choice.failed(0);
    choice.failed(0); // the same incident (it already sits out): no longer back-off
    expect(picks(choice, 3)).toEqual([1, 1, 1]);
    vi.advanceTimersByTime(101);
    expect(choice.sittingOut(0)).toBe(false);
    choice.failed(0); // a second incident: 200 ms
    vi.advanceTimersByTime(150);
    expect(choice.sittingOut(0)).toBe(true);
    vi.advanceTimersByTime(51);
    choice.failed(0); // third: capped at 250 ms
    vi.advanceTimersByTime(249);
    expect(choice.sittingOut(0)).toBe(true);
    choice.answered(0);
    expect(choice.sittingOut(0)).toBe(false);
    expect(picks(choice, 2).sort()).toEqual([0, 1]);
  });

  it("skips a disconnected server while another can serve, and a reconnected one is used at once", () => {
    const choice = new ServerChoice(2, { minMs: 10_000, maxMs: 10_000 });
    choice.failed(1);
    choice.connection(0, false);
    expect(picks(choice, 2)).toEqual([1, 1]); // everything is out: the connected one, even while it sits out
    choice.connection(0, true);
    choice.connection(1, true); // a completed connection clears a back-off: the server restarted
    expect(picks(choice, 4).sort()).toEqual([0, 0, 1, 1]);
  });
});
