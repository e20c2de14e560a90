// @zpb/server/internal: what zpb's own packages (bench, integration tests, tools) and the server's
// extensions need from the server's insides. Not a stable API for users: it changes with the server.
// Users import "@zpb/server".
export { resolveOptions, type ResolvedOptions } from "./options.js";
export {
  SERVER_CONSTRAINTS,
  workerSettingsOf,
  type ServerSettingsInput,
  type WorkerSettings,
} from "./settings.js";
export {
  boolean,
  envName,
  integer,
  InvalidSetting,
  oneOf,
  parseBoolean,
  resolveSettings,
  setting,
  text,
  workerPart,
  type AnySetting,
  type Constraint,
  type InputOf,
  type Registry,
  type ResolvedOf,
  type WorkerPart,
} from "./setting.js";
export { CLI_SETTINGS, LOG_LEVELS, type CliSettings } from "./cli-settings.js";
export { settingsTable } from "./settings-table.js";
export { resolveHandlerSpec, toLoadedHandler, type LoadedHandler } from "./handler.js";
export { limitPayload } from "./limits.js";
export { Counter, collectStats, createCounterMemory, readSlot, slotView } from "./stats.js";
export { ServiceLoop } from "./service-loop.js";
