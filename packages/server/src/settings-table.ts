// The README's settings table, rendered from the registries (settings-table.spec.ts keeps the README in step).
import { CLI_SETTINGS } from "./cli-settings.js";
import type { Registry } from "./setting.js";
import { SERVER_SETTINGS } from "./settings.js";

const cell = (text: string): string => text.replace(/\|/g, "\\|");

/** One markdown table row per setting: flag, variable, startServer option, default, doc line; columns aligned. */
export function settingsTable(
  registries: ReadonlyArray<[Registry, { option: boolean }]> = [
    [SERVER_SETTINGS, { option: true }],
    [CLI_SETTINGS, { option: false }],
  ],
): string {
  const rows: string[][] = [["flag", "variable", "option", "default", "what"]];
  for (const [registry, { option }] of registries) {
    for (const [name, entry] of Object.entries(registry)) {
      const flag = entry.negatable
        ? `\`${entry.flag}\` / \`--no-${entry.flag.slice(2).split(" ")[0]}\``
        : `\`${entry.flag}\``;
      rows.push([
        cell(flag),
        `\`${entry.env}\``,
        option ? `\`${name}\`` : "(CLI only)",
        cell(`\`${entry.defaultText}\``),
        cell(
          entry.choices === undefined ? entry.doc : `${entry.doc} (${entry.choices.map((c) => `\`${c}\``).join(", ")})`,
        ),
      ]);
    }
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]): string => `| ${row.map((text, column) => text.padEnd(widths[column]!)).join(" | ")} |`;
  return [line(rows[0]!), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.slice(1).map(line)].join("\n");
}
