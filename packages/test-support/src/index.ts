// Helpers shared by the tests of every zpb package (and the bench runner's port picking): one freePort, one
// child-process helper, bounded waits, and the hostile peers of the server's fault suite and the bench's
// "hostile" scenario. vitest hooks live in the "./vitest" entry so this one loads anywhere.
export { halfOpenConnections, multipartFlood, rawDealer, slowReaders, tcpAddress } from "./hostile-peers.js";
export { Child, run, type ChildOptions, type Ended } from "./child.js";
export { freePort, LOOPBACK } from "./ports.js";
export { sleep, WAIT_MS, waitUntil, within } from "./waits.js";
