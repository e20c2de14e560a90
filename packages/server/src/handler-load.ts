// Loading a handler module by its spec (a builtin name or a URL): in each worker thread, and on the main
// thread of a server that routes to joined hosts (it answers for a lost host in the handler's schema).
import { ServerError } from "./errors.js";
import { toLoadedHandler, type HandlerModule, type LoadedHandler } from "./handler.js";
import { importHandler } from "./handler-import.js";
import * as echoModule from "./handlers/echo.js";
import * as pingModule from "./handlers/ping.js";

const BUILTINS: Record<string, Partial<HandlerModule<unknown>>> = {
  ping: pingModule as Partial<HandlerModule<unknown>>,
  echo: echoModule as Partial<HandlerModule<unknown>>,
};

/** Imports and checks a handler module; throws ServerError HANDLER_LOAD when it cannot be used. */
export async function loadHandler(spec: string): Promise<LoadedHandler> {
  const builtin = BUILTINS[spec];
  if (builtin !== undefined) return toLoadedHandler(builtin, spec);
  let module: Partial<HandlerModule<unknown>>;
  try {
    module = (await importHandler(spec)) as Partial<HandlerModule<unknown>>;
  } catch (cause) {
    if (cause instanceof ServerError) throw cause;
    const text = cause instanceof Error ? cause.message : String(cause);
    throw new ServerError("HANDLER_LOAD", `cannot load handler module ${spec}: ${text}`, { cause });
  }
  return toLoadedHandler(module, spec);
}
