import cliProgress from "cli-progress";

/** What the runner tells the person watching: a bar on a TTY, plain lines otherwise (CI). */
export interface Progress {
  /** Adds `n` planned steps to the total. */
  plan(n: number): void;
  /** A step begins. */
  begin(label: string): void;
  /** A step ended with a one-line summary. */
  end(summary: string): void;
  /** A line of its own (warnings, scenario headers). */
  note(line: string): void;
  stop(): void;
}

/** A cli-progress bar when `stdout` is a TTY and bars are wanted, else plain lines. */
export function createProgress(tty: boolean): Progress {
  return tty ? barProgress() : lineProgress();
}

function lineProgress(): Progress {
  let total = 0;
  let done = 0;
  let current = "";
  const startedAt = Date.now();
  const stamp = (): string => `${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)}s`;
  return {
    plan: (n) => {
      total += n;
    },
    begin: (label) => {
      current = label;
    },
    end: (summary) => {
      done++;
      process.stdout.write(`${stamp()} [${done}/${total}] ${current}: ${summary}\n`);
    },
    note: (line) => void process.stdout.write(`${stamp()} ${line}\n`),
    stop: () => {},
  };
}

function barProgress(): Progress {
  // A MultiBar with one bar: its log() prints lines above the bar without tearing it.
  const bars = new cliProgress.MultiBar(
    { format: "{bar} {value}/{total} | {step}", hideCursor: true, clearOnComplete: true, autopadding: true },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(0, 0, { step: "starting" });
  let current = "";
  return {
    plan: (n) => bar.setTotal(bar.getTotal() + n),
    begin: (label) => {
      current = label;
      bar.update({ step: label });
    },
    end: (summary) => {
      bars.log(`${current}: ${summary}\n`);
      bar.increment(1, { step: current });
    },
    note: (line) => bars.log(`${line}\n`),
    stop: () => bars.stop(),
  };
}
