/**
 * Where a command's results go. Text mode prints human lines on stdout; --json prints one JSON object per
 * line (NDJSON) on stdout, so scripts can read events as they come and the summary last. Diagnostics and
 * progress always go to stderr, so stdout stays parseable.
 */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** One result: `text` in text mode, `record` (with its `type`) in JSON mode. */
  event(type: string, record: Record<string, unknown>, text: string): void {
    if (this.json) this.stdout.write(`${toJson({ type, ...record })}\n`);
    else this.stdout.write(`${text}\n`);
  }

  /** A line only text mode shows (headers, blank lines). */
  text(line: string): void {
    if (!this.json) this.stdout.write(`${line}\n`);
  }

  /** A diagnostic line on stderr, in both modes. */
  note(line: string): void {
    this.stderr.write(`${line}\n`);
  }
}

/** JSON with bigints written as decimal strings (uint64 seqs do not fit a JSON number). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}
