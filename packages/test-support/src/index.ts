// Helpers shared by the tests of every zpb package (and the bench runner's port picking): one freePort, one
// child-process helper, bounded waits. vitest hooks live in the "./vitest" entry so this one loads anywhere.
export { Child, run, type ChildOptions, type Ended } from "./child.js";
export { freePort, LOOPBACK } from "./ports.js";
export { sleep, WAIT_MS, waitUntil, within } from "./waits.js";
