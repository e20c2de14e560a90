/** The logging the server does: pino's call shape (`logger.info(fields, message)`), so a pino logger fits. */
export interface Logger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A logger that drops everything (the programmatic API's default: a library should not print). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
