/**
 * `deno task repro nlg` (or `deno run -A cli/repro_nlg.ts`): the NLG track (paper Table 2) —
 * baseline, HiddenCut, DropKey, HiddenKey⁻ and HiddenKey with drops in the latter half of the
 * decoder, fine-tuned with LoRA on E2E-style data-to-text, decoded with beam search and scored
 * with BLEU/NIST/METEOR/ROUGE-L/CIDEr; mean ± std over seeds beside the paper's numbers.
 *
 * ```sh
 * deno task repro nlg --preset smoke      # CI: smoke decoder, 1 seed (≈ 2-3 min)
 * deno task repro nlg                     # quick: loradrop's pretrained decoder, 3 seeds
 * deno task repro nlg --preset paper --e2e ~/e2e_data --backend tensorflow   # GPT-2 Medium, Table 7
 * ```
 * Runs are cached by hash in `results/<preset>/nlg/runs/`; a killed run resumes from its
 * checkpoint. Outputs: `results/<preset>/nlg/report.html` and `tables/e2e.csv`.
 *
 * @module
 */
import { resolve } from "node:path";
import { BACKEND_NAMES } from "../lib/backend.ts";
import { initCliBackend } from "./_backend.ts";
import {
  choiceFlag,
  defineCommand,
  type ParsedCommandLine,
  runCommand,
  UsageError,
} from "./_args.ts";
import { say } from "./_output.ts";
import { NLG_PRESETS, type NlgPreset } from "../lib/repro/plan/nlg_experiments.ts";
import { REPRO_TRACKS, trackResultsDir } from "../lib/repro/plan/tracks.ts";
import {
  disposeNlgResources,
  executeNlgRun,
  loadNlgResources,
  type NlgResources,
  type NlgStoredRun,
} from "../lib/repro/run/nlg_execute.ts";
import { nlgSections, nlgTableSection } from "../lib/repro/report/nlg_sections.ts";
import { planGrid, runGrid } from "../lib/repro/run/scheduler.ts";
import { readStoredRuns } from "../lib/repro/run/store.ts";
import { tableCsv } from "../lib/repro/report/csv.ts";
import { tableText } from "../lib/viz/table.ts";
import { writeReportHtml } from "../lib/viz/report.ts";
import { writeFileAtomic } from "../lib/train/atomic_file.ts";
import type { PretrainInfo } from "../lib/nlg/pretrain/pretrain.ts";

const TRACK = REPRO_TRACKS.nlg;

/** The command line of `deno task repro nlg`: `deno task repro`'s conventions, the NLG track's data. */
export const REPRO_NLG_COMMAND = defineCommand({
  command: TRACK.command,
  usage: `Usage: ${TRACK.command} [run|report] [--preset ${NLG_PRESETS.join("|")}] [--out DIR]
         [--backend ${BACKEND_NAMES.join("|")}] [--no-setup] [--e2e E2E_DIR] [--cache DIR]
  run (default)   run the grid (cached runs are skipped), then write the report
  report          rewrite the report from stored runs (also --report-only)
  --preset P      smoke (CI), quick (default; full is read as quick) or paper (GPT-2 Medium, Table 7)
  --out DIR       results root (default results): runs in DIR/<preset>/nlg/
  --backend B     default: LORADROP_BACKEND, else the fastest set up (tensorflow, else wasm);
                  without one, tensorflow is set up on first use (~1-1.5 min, .cache/tfjs-native/)
  --no-setup      never set tensorflow up from here (also LORADROP_NO_SETUP=1)
  --e2e DIR       the E2E dataset's CSV files (paper preset)
  --cache DIR     the cache of the pretrained decoder (or of GPT-2 Medium, paper preset)`,
  positionals: true,
  flags: {
    preset: "string",
    out: "string",
    backend: "string",
    "no-setup": "boolean",
    e2e: "string",
    cache: "string",
    "report-only": "boolean",
  },
});

/**
 * Runs the NLG reproduction.
 *
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: readonly string[]): Promise<number> {
  return runCommand(REPRO_NLG_COMMAND, args, (parsed) => run(parsed.values, parsed.positionals));
}

async function run(
  flags: ParsedCommandLine<typeof REPRO_NLG_COMMAND.flags>["values"],
  positionals: readonly string[],
): Promise<number> {
  const command = positionals[0] ?? (flags["report-only"] ? "report" : "run");
  if (!["run", "report"].includes(command)) {
    throw new UsageError(`the command must be run or report, received "${command}"`);
  }
  if (positionals.length > 1) {
    throw new UsageError(`${command} takes no folders, received "${positionals[1]}"`);
  }
  if (command === "run" && flags["report-only"]) {
    throw new UsageError("--report-only is the report command, received it with run");
  }
  const reportOnly = command === "report";
  const values = {
    ...flags,
    preset: flags.preset ?? (Deno.env.get("LORADROP_PRESET") || "quick"),
    out: flags.out ?? "results",
  };
  // The NLU presets map onto the NLG ones: full → quick.
  const preset = choiceFlag(
    "preset",
    TRACK.presetAliases[values.preset] ?? values.preset,
    NLG_PRESETS,
  ) as NlgPreset;
  const backendName = values.backend === undefined
    ? undefined
    : choiceFlag("backend", values.backend, BACKEND_NAMES);
  if (reportOnly && backendName !== undefined) {
    throw new UsageError("--backend changes nothing with report (nothing is trained)");
  }
  if (reportOnly && values["no-setup"]) {
    throw new UsageError("--no-setup changes nothing with report (nothing is trained)");
  }
  if (preset !== "paper" && values.e2e !== undefined) {
    throw new UsageError(`--e2e applies to the paper preset, received it with --preset ${preset}`);
  }

  const dir = trackResultsDir(TRACK, values.out, preset);
  await Deno.mkdir(dir, { recursive: true });
  const specs = TRACK.runs(preset);
  let pretrainInfo: PretrainInfo | undefined;
  let backend = "wasm";
  if (!reportOnly) {
    const info = await initCliBackend({
      requested: backendName,
      jobs: 1,
      noSetup: values["no-setup"] === true,
    });
    backend = info.active;
    const { todo, done } = await planGrid(specs, backend, dir);
    say(
      `loradrop repro nlg: preset ${preset}, backend ${backend}, ${done.length} run(s) cached, ${todo.length} to run`,
    );
    let resources: NlgResources | undefined;
    const shared = async () =>
      resources ??= await loadNlgResources(preset, {
        ...(values.cache === undefined ? {} : { cacheDir: resolve(values.cache) }),
        ...(values.e2e === undefined ? {} : { e2eDir: resolve(values.e2e) }),
        log: (m) => console.error(m),
      });
    // Seed by seed, in Table 2's order: an interrupted grid still has whole seeds to compare.
    const order = (m: string) => TRACK.methods(preset).indexOf(m);
    todo.sort((a, b) => a.spec.seed - b.spec.seed || order(a.spec.method) - order(b.spec.method));
    const outcome = await runGrid(todo, {
      dir,
      backend,
      jobs: 1,
      executeInProcess: async (run) => {
        await executeNlgRun(run.spec, await shared(), { dir, backend });
      },
      onRunEnd: (run, error) => {
        if (error !== undefined || !Deno.stderr.isTerminal()) {
          say(
            `${error ? "FAILED" : "done"}: ${run.spec.method}, seed ${run.spec.seed}${
              error ? `\n${error}` : ""
            }`,
          );
        }
      },
    });
    pretrainInfo = resources?.pretrainInfo;
    if (resources !== undefined) disposeNlgResources(resources);
    if (outcome.failed.length > 0) {
      say(
        `${outcome.failed.length} run(s) failed; rerunning the same command retries them`,
      );
      return 1;
    }
  }
  const wanted = new Set(specs.map((s) => JSON.stringify(s)));
  const runs = (await readStoredRuns(dir) as NlgStoredRun[]).filter((r) =>
    r.nlg !== undefined && wanted.has(JSON.stringify(r.spec))
  );
  pretrainInfo ??= await readPretrainInfo(runs);
  const input = { preset, runs, ...(pretrainInfo === undefined ? {} : { pretrainInfo }) };
  const table = nlgTableSection(input).table!;
  await Deno.mkdir(`${dir}/tables`, { recursive: true });
  await writeFileAtomic(`${dir}/tables/e2e.csv`, tableCsv(table.rows, table.columns));
  await writeReportHtml(`${dir}/report.html`, nlgSections(input), {
    title: `loradrop NLG reproduction (${preset})`,
  });
  say(tableText(table.rows, table.columns));
  console.log(`wrote 2 file(s): ${dir}/tables/e2e.csv ${dir}/report.html`);
  return 0;
}

/** The pretraining record of the runs' base, when it is loradrop's cached decoder. */
async function readPretrainInfo(runs: readonly NlgStoredRun[]): Promise<PretrainInfo | undefined> {
  const base = (runs[0]?.record.config.describe as Record<string, unknown> | undefined)?.base;
  if (typeof base !== "string" || !base.startsWith("loradrop-small/")) return undefined;
  const { loradropCacheDir } = await import("../lib/nlg/pretrain/pretrain.ts");
  try {
    return JSON.parse(
      await Deno.readTextFile(
        `${loradropCacheDir()}/decoders/${base.slice("loradrop-small/".length)}/pretrain.json`,
      ),
    ) as PretrainInfo;
  } catch {
    return undefined;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
