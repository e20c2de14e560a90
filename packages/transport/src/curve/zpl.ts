// ZPL, the ZeroMQ Property Language (rfc.zeromq.org/spec:4): the text format of czmq's zcert and pyzmq's
// zmq.auth certificate files. A tree of `name` or `name = value` lines, nesting by indentation (4 spaces
// per level), `#` comments, values bare or in single or double quotes.

/** A parsed ZPL document: every `name = value` as its slash-separated path ("curve/public-key") → value. */
export type ZplProperties = Map<string, string>;

/** A line that is not ZPL; `line` is 1-based. */
export class ZplSyntaxError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const NAME = /^[A-Za-z0-9$\-_@.&+/]+$/;

/**
 * Parses ZPL text leniently in what real files contain (CRLF, a BOM, tabs, comments after values, pyzmq's
 * and czmq's quoting) and strictly in structure: a line that is neither a name nor `name = value` throws.
 */
export function parseZpl(text: string): ZplProperties {
  const properties: ZplProperties = new Map();
  const stack: Array<{ indent: number; name: string }> = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((raw, index) => {
    const expanded = raw.replace(/\t/g, "    ");
    const content = expanded.trim();
    if (content === "" || content.startsWith("#")) return;
    const indent = expanded.length - expanded.trimStart().length;
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const { name, value } = splitLine(content, index + 1);
    stack.push({ indent, name });
    if (value !== undefined) properties.set(stack.map((s) => s.name).join("/"), value);
  });
  return properties;
}

function splitLine(content: string, line: number): { name: string; value: string | undefined } {
  const equals = content.indexOf("=");
  const name = (equals < 0 ? content.replace(/\s+#.*$/, "") : content.slice(0, equals)).trim();
  // The offending text is never quoted: in a secret certificate it may be the secret key.
  if (!NAME.test(name)) throw new ZplSyntaxError(line, "neither a ZPL name nor `name = value`");
  if (equals < 0) return { name, value: undefined };
  return { name, value: parseValue(content.slice(equals + 1).trim(), line) };
}

function parseValue(text: string, line: number): string {
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const end = text.indexOf(quote, 1);
    if (end < 0) throw new ZplSyntaxError(line, `unterminated ${quote} quote`);
    const rest = text.slice(end + 1).trim();
    if (rest !== "" && !rest.startsWith("#")) throw new ZplSyntaxError(line, "text after a quoted value");
    return text.slice(1, end);
  }
  // A bare value ends at whitespace: what follows may only be a comment. (Z85 uses '#', so a '#' inside a
  // bare value is part of it, not a comment.)
  const [value = "", ...rest] = text.split(/\s+/);
  if (rest.length > 0 && !rest[0]!.startsWith("#")) throw new ZplSyntaxError(line, "spaces in a bare value");
  return value;
}

/** Writes sections of `name = "value"` lines, the way czmq and pyzmq write certificates. */
export function formatZpl(header: string[], sections: Array<[string, Record<string, string>]>): string {
  const lines = header.map((line) => `#   ${line}`.trimEnd());
  lines.push("");
  for (const [section, entries] of sections) {
    lines.push(section);
    for (const [name, value] of Object.entries(entries)) {
      if (!NAME.test(name)) throw new RangeError(`"${name}" is not a ZPL name`);
      if (/["\r\n]/.test(value)) throw new RangeError(`the value of ${name} cannot be written in ZPL`);
      lines.push(`    ${name} = "${value}"`);
    }
  }
  return `${lines.join("\n")}\n`;
}
