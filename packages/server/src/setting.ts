// What one setting is, the kinds of settings, and how a registry of them is resolved. The registries
// themselves are in settings.ts (startServer's) and cli-settings.ts (the CLI's own); everything else
// (ServerOptions, the values workers get, zpb-server's flags and ZPB_* variables, --help, the README table)
// is derived from them.
import { ServerError } from "./errors.js";

/** Thrown by a setting's parse/check with what is wrong (the caller adds which setting and where it came from). */
export class InvalidSetting extends Error {
  override readonly name = "InvalidSetting";
}

/**
 * One setting: how a user gives it (flag, environment variable, programmatic value), its default, how it is
 * checked, and whether worker threads need it. `In` is what a caller may pass, `Out` the resolved value.
 */
export interface Setting<In, Out = In, Worker extends boolean = boolean> {
  /** The long flag and its argument as commander writes it, e.g. `"--request-hwm <n>"`. */
  readonly flag: string;
  /** The environment variable read when the flag is absent: `ZPB_` + the flag's name in capitals. */
  readonly env: string;
  /** One line for `--help` and the README table. */
  readonly doc: string;
  /** The default, or a function of the settings resolved before this one (registry order). */
  readonly default: Out | ((earlier: Readonly<Record<string, unknown>>) => Out);
  /** How `--help` and the README show the default (needed when `default` is a function). */
  readonly defaultText: string;
  /** Text (a flag's argument or an environment variable) to a value; throws InvalidSetting. */
  readonly parse: (text: string, previous: In | undefined) => In;
  /** A value (parsed or programmatic) to the resolved value; throws InvalidSetting. */
  readonly check: (value: In) => Out;
  /** Worker threads get this setting in their WorkerSettings. */
  readonly worker: Worker;
  /** The only values allowed, when the setting is an enumeration (listed by --help). */
  readonly choices?: readonly string[];
  /** Also offer `--no-<name>`, which sets the value `false`. */
  readonly negatable?: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds settings of every type
export type AnySetting = Setting<any, any, boolean>;
/** Settings by the name a program uses (`requestHighWaterMark`). */
export type Registry = Readonly<Record<string, AnySetting>>;

/** What a caller may pass: every setting optional, in its input type. Keeps each entry's doc comment. */
export type InputOf<R extends Registry> = { [K in keyof R]?: R[K] extends Setting<infer In, infer _Out> ? In : never };
/** Every setting resolved. */
export type ResolvedOf<R extends Registry> = {
  -readonly [K in keyof R]: R[K] extends Setting<infer _In, infer Out> ? Out : never;
};
/** Only the settings marked `worker: true`. */
export type WorkerPart<R extends Registry> = {
  -readonly [K in keyof R as R[K] extends Setting<infer _In, infer _Out, true> ? K : never]: R[K] extends Setting<
    infer _In,
    infer Out
  >
    ? Out
    : never;
};

/** What every kind shares; `env` is derived from the flag, `worker` defaults to false. */
interface Common<Out, Worker extends boolean> {
  flag: string;
  doc: string;
  default: Out | ((earlier: Readonly<Record<string, unknown>>) => Out);
  defaultText?: string;
  worker?: Worker;
}

/** `--request-hwm <n>` → `ZPB_REQUEST_HWM`. */
export function envName(flag: string): string {
  const long = /^--([a-z0-9-]+)/.exec(flag)?.[1];
  if (long === undefined) throw new Error(`a setting's flag must start with --name: ${flag}`);
  return `ZPB_${long.replace(/-/g, "_").toUpperCase()}`;
}

function showDefault(value: unknown): string {
  if (Array.isArray(value)) return value.join(" ");
  return String(value);
}

/** Builds a setting of any kind; the kind helpers below cover the usual ones. */
export function setting<In, Out = In, Worker extends boolean = false>(
  spec: Common<Out, Worker> & {
    parse: (text: string, previous: In | undefined) => In;
    check: (value: In) => Out;
    choices?: readonly string[];
    negatable?: boolean;
  },
): Setting<In, Out, Worker> {
  if (typeof spec.default === "function" && spec.defaultText === undefined)
    throw new Error(`${spec.flag}: a computed default needs defaultText`);
  return {
    ...spec,
    env: envName(spec.flag),
    defaultText: spec.defaultText ?? showDefault(spec.default),
    worker: (spec.worker ?? false) as Worker,
  };
}

/** An integer in [min, max]; from text, decimal digits only. */
export function integer<Worker extends boolean = false>(
  spec: Common<number, Worker> & { min: number; max?: number },
): Setting<number, number, Worker> {
  const { min, max = Number.MAX_SAFE_INTEGER } = spec;
  return setting<number, number, Worker>({
    ...spec,
    parse: (text) => {
      if (!/^\s*-?\d+\s*$/.test(text)) throw new InvalidSetting(`must be an integer, got "${text}"`);
      return Number(text);
    },
    check: (value) => {
      if (!Number.isInteger(value) || value < min || value > max) {
        const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}..${max}`;
        throw new InvalidSetting(`must be an integer ${range}, got ${value}`);
      }
      return value;
    },
  });
}

/** One of a fixed list of strings. */
export function oneOf<const C extends readonly string[], Worker extends boolean = false>(
  spec: Common<C[number], Worker> & { choices: C },
): Setting<C[number], C[number], Worker> {
  const check = (value: string): C[number] => {
    if (!spec.choices.includes(value))
      throw new InvalidSetting(`must be one of ${spec.choices.map((c) => `"${c}"`).join(", ")}, got "${value}"`);
    return value;
  };
  return setting<C[number], C[number], Worker>({ ...spec, parse: check, check });
}

/** A non-empty string, optionally normalised (e.g. a path made absolute). */
export function text<In extends string = string, Worker extends boolean = false>(
  spec: Common<string, Worker> & { normalize?: (value: In) => string },
): Setting<In, string, Worker> {
  const normalize = spec.normalize ?? ((value: In) => value as string);
  return setting<In, string, Worker>({
    ...spec,
    parse: (value) => value as In,
    check: (value) => {
      if (typeof value !== "string") throw new InvalidSetting("must be a string");
      if (String(value).length === 0) throw new InvalidSetting("must not be empty");
      return normalize(value);
    },
  });
}

/** Reads a boolean from text: 1/true/yes/on or 0/false/no/off. */
export function parseBoolean(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(t)) return true;
  if (["0", "false", "no", "off"].includes(t)) return false;
  throw new InvalidSetting(`must be true or false (1/0, yes/no, on/off), got "${text}"`);
}

/**
 * A yes/no setting. Its flag takes an optional value (`--x`, `--x false`), so its environment variable
 * can say no as well as yes (`ZPB_X=0`).
 */
export function boolean<Worker extends boolean = false>(
  spec: Common<boolean, Worker> & { negatable?: boolean },
): Setting<boolean, boolean, Worker> {
  return setting<boolean, boolean, Worker>({
    ...spec,
    parse: parseBoolean,
    check: (value) => {
      if (typeof value !== "boolean") throw new InvalidSetting(`must be true or false, got ${String(value)}`);
      return value;
    },
  });
}

/** A rule across settings: returns what is wrong, or undefined. */
export type Constraint<R extends Registry> = (resolved: ResolvedOf<R>) => string | undefined;

/**
 * Applies defaults and checks every setting of `registry` in registry order, then `constraints`; throws
 * ServerError INVALID_OPTION naming the setting. Keys of `input` that are undefined count as not given.
 */
export function resolveSettings<R extends Registry>(
  registry: R,
  input: InputOf<R>,
  constraints: readonly Constraint<R>[] = [],
): ResolvedOf<R> {
  const resolved: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(registry)) {
    const given = (input as Record<string, unknown>)[name];
    if (given === undefined) {
      resolved[name] = typeof entry.default === "function" ? entry.default(resolved) : entry.default;
      continue;
    }
    try {
      resolved[name] = entry.check(given);
    } catch (error) {
      if (!(error instanceof InvalidSetting)) throw error;
      throw new ServerError("INVALID_OPTION", `${name} ${error.message}`, { cause: error });
    }
  }
  const result = resolved as ResolvedOf<R>;
  for (const rule of constraints) {
    const problem = rule(result);
    if (problem !== undefined) throw new ServerError("INVALID_OPTION", problem);
  }
  return result;
}

/** The part of `resolved` that `registry` marks `worker: true`. */
export function workerPart<R extends Registry>(registry: R, resolved: ResolvedOf<R>): WorkerPart<R> {
  const part: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(registry))
    if (entry.worker) part[name] = (resolved as Record<string, unknown>)[name];
  return part as WorkerPart<R>;
}
