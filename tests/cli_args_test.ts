// Every `deno task` command against a table of bad arguments: each must end with exit code 2,
// one line naming the flag and the value, then the usage — never a stack trace — and `--help`
// must print the usage in its `deno task …` form with exit code 0. Nothing here trains: every
// bad argument is caught before a backend or a model is loaded.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { type CliOutcome, runCli } from "./_cli.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** A command: its script (and leading words) and how its usage names it. */
interface Command {
  readonly script: readonly string[];
  readonly name: string;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  train: { script: ["cli/train.ts"], name: "deno task train" },
  repro: { script: ["cli/repro.ts"], name: "deno task repro" },
  "repro nlg": { script: ["cli/repro.ts", "nlg"], name: "deno task repro nlg" },
  pretrain: { script: ["cli/pretrain.ts"], name: "deno task pretrain" },
  notebooks: { script: ["tools/notebooks.ts"], name: "deno task notebooks" },
  "setup:native": { script: ["tools/setup_native.ts"], name: "deno task setup:native" },
  "setup:python": { script: ["tools/setup_python.ts"], name: "deno task setup:python" },
  bench: { script: ["bench/model_bench.ts"], name: "deno task bench" },
  "bench:memory": { script: ["bench/memory_bench.ts"], name: "deno task bench:memory" },
  "bench:jobs": { script: ["bench/jobs_bench.ts"], name: "deno task bench:jobs" },
  "bench:peer": { script: ["tools/bench_peer.ts"], name: "deno task bench:peer" },
  predict: { script: ["cli/predict.ts"], name: "deno task predict" },
};

/** `train`'s arguments on the built-in task sentiment-low, then `args`. */
function sentimentLow(...args: string[]): string[] {
  return ["--task", "sentiment-low", ...args];
}

/** [command, arguments, text the error line must contain]. */
const BAD: readonly (readonly [string, readonly string[], string])[] = [
  ["train", sentimentLow("--lr", "fast"), '--lr must be a number > 0, received "fast"'],
  ["train", sentimentLow("--lr", "-1"), '--lr must be a number > 0, received "-1"'],
  ["train", ["--task", "x.csv"], "--task must be one of"],
  ["train", sentimentLow("--bogus", "1"), "unknown option --bogus"],
  ["train", sentimentLow("--steps"), "--steps needs a value"],
  ["train", sentimentLow("--steps", "2.5"), '--steps must be an integer >= 1, received "2.5"'],
  [
    "train",
    ["--train", "no/such/file.csv", "--dev", "b.csv"],
    '--train must be a readable file, received "no/such/file.csv"',
  ],
  ["train", ["--train", "a.csv"], "--train needs --dev FILE"],
  [
    "train",
    sentimentLow("--method", "baseline", "--rate", "0.2"),
    "--rate changes nothing for baseline",
  ],
  [
    "train",
    sentimentLow("--method", "dropKey-column", "--hidden-rate", "0.1"),
    "--hidden-rate applies to the HiddenKey family",
  ],
  [
    "train",
    sentimentLow("--method", "hiddenKey-minus", "--kl-weight", "2"),
    "--kl-weight changes nothing for hiddenKey-minus",
  ],
  ["train", sentimentLow("--rate", "1.5"), '--rate must be a number >= 0 and < 1, received "1.5"'],
  [
    "train",
    sentimentLow("--targets", "q,x"),
    '--targets must be among q, k, v, o, ffn-in, ffn-out, received "x"',
  ],
  [
    "train",
    sentimentLow("--model", "./no/such/model"),
    "--model must be use-lite, a model folder or a hub id",
  ],
  [
    "train",
    sentimentLow("--backend", "gpu"),
    '--backend must be one of wasm, cpu, webgpu, tensorflow, received "gpu"',
  ],
  ["train", ["--glue", "mnli", "--data-dir", "."], "--glue must be one of"],
  ["train", sentimentLow("--model", `${ROOT}tests/fixtures/hf/gpt2`), "a GPT-2 decoder"],
  ["train", sentimentLow("--labels", "a,b"), "--labels applies to --train/--dev files"],
  ["repro", ["--only", "nonsense"], "--only must be among "],
  ["repro", ["--only", "cost,nonsense"], 'received "nonsense"'],
  [
    "repro",
    ["--preset", "huge"],
    '--preset must be one of smoke, quick, full, paper, received "huge"',
  ],
  ["repro", ["--jobs", "0"], '--jobs must be an integer >= 1, received "0"'],
  ["repro", ["--shard", "5/4"], '--shard must be i/n with 1 <= i <= n, received "5/4"'],
  ["repro", ["frobnicate"], 'the command must be run, merge or report, received "frobnicate"'],
  [
    "repro",
    ["--preset", "smoke", "--model", "bert-base-uncased"],
    "--model applies to the paper preset or your own task",
  ],
  ["repro", ["--methods", "hiddenKey"], "--methods applies to your own task"],
  [
    "repro",
    ["--train", "a.csv", "--dev", "b.csv", "--preset", "paper"],
    '--preset must be one of smoke, quick, full, received "paper"',
  ],
  ["repro nlg", ["--preset", "huge"], "--preset must be one of"],
  ["repro nlg", ["--e2e", "x", "--preset", "smoke"], "--e2e applies to the paper preset"],
  ["repro nlg", ["frobnicate"], 'the command must be run or report, received "frobnicate"'],
  ["repro nlg", ["report", "--backend", "wasm"], "--backend changes nothing with report"],
  ["repro nlg", ["run", "--report-only"], "--report-only is the report command"],
  ["pretrain", ["--preset", "huge"], "--preset must be one of"],
  ["pretrain", ["--force=yes"], '--force takes no value, received "yes"'],
  [
    "notebooks",
    ["--preset", "huge"],
    '--preset must be one of smoke, quick, full, paper, received "huge"',
  ],
  ["notebooks", ["--render", "a.ipynb"], "unknown option --render"],
  ["setup:native", ["--cuda"], "unknown option --cuda"],
  ["setup:python", ["--venv", "x"], "unknown option --venv"],
  ["bench", ["--steps", "x"], '--steps must be an integer >= 1, received "x"'],
  ["bench", ["--methods", "dropout"], '"dropout"'],
  ["bench:memory", ["--steps", "-5"], "--steps"],
  ["bench:jobs", ["--jobs", "0"], "--jobs"],
  ["predict", ["--adapter"], "--adapter needs a value"],
  [
    "predict",
    ["--adapter", "a", "--input", "b.csv", "--out", "c.jsonl", "--batch-size", "-3"],
    '--batch-size must be an integer >= 1, received "-3"',
  ],
  ["bench:peer", ["--wasm-threads", "-1"], '--wasm-threads must be an integer >= 0, received "-1"'],
];

function run(command: Command, args: readonly string[], cwd: string): Promise<CliOutcome> {
  const [script, ...words] = command.script;
  return runCli(script!, [...words, ...args], { cwd });
}

/** Runs `jobs` with at most `width` at a time (each is a deno process). */
async function pool<T>(jobs: readonly (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  }));
  return results;
}

function assertNoStack(text: string, what: string): void {
  assert(!/^\s+at .*:\d+:\d+/m.test(text), `${what}: a stack trace:\n${text}`);
  assert(!text.includes("Uncaught"), `${what}: an uncaught error:\n${text}`);
}

Deno.test({
  name: "every deno task command rejects bad arguments with one line, the usage and exit code 2",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // An empty working folder: nothing a command might read or write is found or left there.
    const cwd = await Deno.makeTempDir({ prefix: "loradrop-cli-args-" });
    const outcomes = await pool(BAD.map(([name, args]) => () => run(COMMANDS[name]!, args, cwd)), 3)
      .finally(() => Deno.remove(cwd, { recursive: true }));
    BAD.forEach(([name, args, expected], i) => {
      const { code, stdout, stderr } = outcomes[i]!;
      const what = `${name} ${args.join(" ")}`;
      assertEquals(code, 2, `${what}: exit code ${code}\n${stderr}`);
      assertStringIncludes(stderr, expected, what);
      // The error is one line that starts with the command (Deno may add lines of its own, e.g.
      // while another process holds node_modules' lock).
      const line = stderr.split("\n").find((l) => l.startsWith(`${COMMANDS[name]!.name}: `));
      assert(line !== undefined, `${what}: no line names the command:\n${stderr}`);
      assertStringIncludes(line, expected, `${what}: the message is one line`);
      assertStringIncludes(stderr, "Usage: ", `${what}: the usage follows`);
      assertEquals(stdout, "", `${what}: nothing on stdout`);
      assertNoStack(stderr, what);
    });
  },
});

Deno.test({
  name: "every deno task command answers --help with its usage in the deno task form",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const names = Object.keys(COMMANDS);
    const cwd = await Deno.makeTempDir({ prefix: "loradrop-cli-help-" });
    const outcomes = await pool(names.map((n) => () => run(COMMANDS[n]!, ["--help"], cwd)), 3)
      .finally(() => Deno.remove(cwd, { recursive: true }));
    names.forEach((name, i) => {
      const { code, stdout, stderr } = outcomes[i]!;
      assertEquals(code, 0, `${name} --help: ${stderr}`);
      assertStringIncludes(stdout, `Usage: ${COMMANDS[name]!.name}`, name);
      assertNoStack(stderr, name);
    });
  },
});
