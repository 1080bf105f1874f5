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
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { initBackend, parseBackendName } from "../lib/backend.ts";
import {
  NLG_METHODS,
  NLG_PRESETS,
  type NlgPreset,
  nlgRunSpecs,
} from "../lib/repro/nlg_experiments.ts";
import {
  disposeNlgResources,
  executeNlgRun,
  loadNlgResources,
  type NlgResources,
  type NlgStoredRun,
} from "../lib/repro/nlg_execute.ts";
import { nlgSections, nlgTableSection } from "../lib/repro/nlg_sections.ts";
import { planGrid, runGrid } from "../lib/repro/scheduler.ts";
import { readStoredRuns } from "../lib/repro/store.ts";
import { tableCsv } from "../lib/repro/csv.ts";
import { tableText } from "../lib/viz/table.ts";
import { writeReportHtml } from "../lib/viz/report.ts";
import { writeFileAtomic } from "../lib/train/atomic_file.ts";
import type { PretrainInfo } from "../lib/nlg/pretrain/pretrain.ts";

const USAGE = `usage: deno task repro nlg [--preset ${NLG_PRESETS.join("|")}] [--out DIR]
       [--backend wasm|cpu|webgpu|tensorflow] [--e2e E2E_DIR] [--cache DIR] [--report-only]`;

/**
 * Runs the NLG reproduction.
 *
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export async function main(args: readonly string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        preset: { type: "string", default: Deno.env.get("LORADROP_PRESET") ?? "quick" },
        out: { type: "string", default: "results" },
        backend: { type: "string" },
        e2e: { type: "string" },
        cache: { type: "string" },
        "report-only": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  // The NLU presets map onto the NLG ones: full → quick.
  const preset = (values.preset === "full" ? "quick" : values.preset) as NlgPreset;
  if (!NLG_PRESETS.includes(preset)) {
    console.error(
      `Cannot run the NLG reproduction: --preset must be one of ${
        NLG_PRESETS.join(", ")
      }, received "${values.preset}"\n${USAGE}`,
    );
    return 2;
  }
  const dir = `${values.out}/${preset}/nlg`;
  await Deno.mkdir(dir, { recursive: true });
  const specs = nlgRunSpecs(preset);
  let pretrainInfo: PretrainInfo | undefined;
  let backend = "wasm";
  if (!values["report-only"]) {
    const info = await initBackend(
      values.backend ? { backend: parseBackendName(values.backend) } : {},
    );
    backend = info.active;
    const { todo, done } = await planGrid(specs, backend, dir);
    console.log(
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
    const order = (m: string) => NLG_METHODS.indexOf(m);
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
          console.log(
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
      console.error(
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
  console.log(tableText(table.rows, table.columns));
  console.log(`wrote ${dir}/report.html and ${dir}/tables/e2e.csv`);
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
