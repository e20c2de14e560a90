/** A command failed in a way the user should read about: printed as `zpb: message`, exit code 1. */
export class CommandFailure extends Error {
  override readonly name = "CommandFailure";
  readonly exitCode = 1;
}

/** "1 attempt", "3 attempts". */
export function attempts(n: number): string {
  return `${n} attempt${n === 1 ? "" : "s"}`;
}
