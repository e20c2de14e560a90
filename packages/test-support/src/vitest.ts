import { afterEach, describe, expect, it } from "vitest";
import { Child } from "./child.js";

/**
 * Registers an `afterEach` that kills every child a test started and left running (see `Child.killAll`).
 * Call it once at the top of a spec file that starts processes.
 */
export function killChildrenAfterEach(): void {
  afterEach(() => Child.killAll());
}

interface Closable {
  close(): void;
}

/**
 * Registers an `afterEach` that closes every socket handed to the returned function, so a failing test leaves
 * nothing open. Returns the socket for chaining: `const rep = own(new Replier())`.
 */
export function closeAfterEach(): <S extends Closable>(socket: S) => S {
  const open: Closable[] = [];
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  return (socket) => {
    open.push(socket);
    return socket;
  };
}

/**
 * Pins a package's two entry points: the public one exports exactly `publicNames` (what its README documents),
 * the internal one exactly `internalNames`, none of which is public. Call it in the package's entry-points spec.
 */
export function describeEntryPoints(
  entries: { public: object; internal: object },
  publicNames: string[],
  internalNames: string[],
): void {
  describe("entry points", () => {
    it("the public entry exports exactly the documented API", () => {
      expect(Object.keys(entries.public).sort()).toEqual([...publicNames].sort());
    });

    it("the internal entry holds the sibling-only pieces, none of them public", () => {
      expect(Object.keys(entries.internal).sort()).toEqual([...internalNames].sort());
      for (const name of internalNames) expect(Object.keys(entries.public)).not.toContain(name);
    });
  });
}
