import { silentLogger, type Logger } from "./log.js";
import { resolveSettings } from "./setting.js";
import { SERVER_CONSTRAINTS, SERVER_SETTINGS, type ServerSettings, type ServerSettingsInput } from "./settings.js";

/**
 * Everything startServer accepts: each setting of SERVER_SETTINGS (optional; defaults, flags and checks
 * live there, see the README's settings table), plus a logger.
 */
export interface ServerOptions extends ServerSettingsInput {
  /** Where the server logs worker deaths, replacements and failures. Default: silent (a library should not print). */
  logger?: Logger;
}

/** ServerOptions with every default applied and checked. */
export interface ResolvedOptions extends ServerSettings {
  logger: Logger;
}

/** Applies the defaults and checks every setting; throws ServerError INVALID_OPTION naming the setting. */
export function resolveOptions(options: ServerOptions = {}): ResolvedOptions {
  const { logger = silentLogger, ...settings } = options;
  return { ...resolveSettings(SERVER_SETTINGS, settings, SERVER_CONSTRAINTS), logger };
}
