import { afterEach } from "vitest";
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
