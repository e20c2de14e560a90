// Which of several servers gets the next request (the zguide's Freelance pattern): round-robin over the
// connected servers in good standing; one that failed (timed out, unreachable) sits out a back-off that doubles with
// each failure in a row, then gets requests again; a reply from it clears its record at once.

/** How long a failed server sits out: `min` after its first failure, doubling to `max`. */
export interface BackOff {
  minMs: number;
  maxMs: number;
}

interface Standing {
  /** False between a disconnect and the next completed connection. */
  connected: boolean;
  /** Failures since its last reply. */
  failures: number;
  /** Not chosen before this time (performance.now()), unless every server is sitting out. */
  outUntil: number;
}

/** Round-robin over `count` servers that skips the ones sitting out a failure. */
export class ServerChoice {
  private readonly standings: Standing[];
  private cursor = 0;

  constructor(
    count: number,
    private readonly backOff: BackOff,
  ) {
    this.standings = Array.from({ length: count }, () => ({ connected: true, failures: 0, outUntil: 0 }));
  }

  /**
   * The next server in the round that is not sitting out, preferring any but `avoid` (the one the request
   * just failed on). When every server is sitting out, the one whose back-off ends first: a request is never
   * refused for lack of a healthy server, it is sent where it has the best chance.
   */
  next(avoid?: number): number {
    const now = performance.now();
    const count = this.standings.length;
    let fallback = -1;
    for (let step = 0; step < count; step++) {
      const server = (this.cursor + step) % count;
      const standing = this.standings[server]!;
      if (standing.connected && standing.outUntil <= now && (server !== avoid || count === 1)) {
        this.cursor = (server + 1) % count;
        return server;
      }
      if (server !== avoid && (fallback < 0 || this.better(server, fallback))) fallback = server;
    }
    const chosen = fallback < 0 ? (avoid ?? 0) : fallback;
    this.cursor = (chosen + 1) % count;
    return chosen;
  }

  /**
   * `server` failed a request: it sits out its back-off. Failures while it already sits out (the other
   * requests it held, timing out together) are the same incident and do not lengthen it.
   */
  failed(server: number): void {
    const standing = this.standings[server]!;
    if (standing.outUntil > performance.now()) return;
    standing.failures++;
    const wait = Math.min(this.backOff.maxMs, this.backOff.minMs * 2 ** (standing.failures - 1));
    standing.outUntil = performance.now() + wait;
  }

  /**
   * libzmq lost (false) or completed (true) the connection to `server`; a disconnected one gets nothing while
   * others can.
   */
  connection(server: number, connected: boolean): void {
    const standing = this.standings[server]!;
    standing.connected = connected;
    // A completed connection is a server that is up again (restarted, or back from a partition): use it now.
    if (connected) Object.assign(standing, { failures: 0, outUntil: 0 });
  }

  // Among servers that are all out: a connected one first, then the one whose back-off ends first.
  private better(a: number, b: number): boolean {
    const [sa, sb] = [this.standings[a]!, this.standings[b]!];
    if (sa.connected !== sb.connected) return sa.connected;
    return sa.outUntil < sb.outUntil;
  }

  /** `server` answered: back in good standing. */
  answered(server: number): void {
    const standing = this.standings[server]!;
    standing.failures = 0;
    standing.outUntil = 0;
  }

  /** Whether `server` is sitting out a failure right now. */
  sittingOut(server: number): boolean {
    return this.standings[server]!.outUntil > performance.now();
  }
}
