// @zpb/client/internal — for sibling zpb packages only (a command line or server component built on the clients),
// not for applications: the call plumbing the clients share, so a sibling's waits abort and queue the same way.
// No stability promise beyond the zpb release it ships in; the public API is "@zpb/client".

/** A counting semaphore with a FIFO, abortable queue (the pipelined client's window). */
export { Slots } from "./slots.js";
/** One 'abort' listener per AbortSignal fanned out to every waiting call; a promise that rejects on abort. */
export { onAbort, whenAborted } from "./abort.js";
/** Drops undefined values from an options object so they don't override defaults in a spread. */
export { stripUndefined } from "./options.js";
