/**
 * `deno run -A tools/calibrate_steps.ts --preset quick [--out results] [--backend tensorflow]`:
 * applies the comparison-steps rule (`lib/repro/plan/comparison_steps.ts`) to the preset's `regime`
 * runs and prints, per task, the mean dev-loss curve over the seeds read and the steps the rule
 * gives. Finished runs are read from `<out>/<preset>/runs/`; runs still training from their
 * trainer's event log (`<out>/<preset>/train/<hash>/runs/…/events.jsonl`), up to the last step
 * every seed of the task has reached. This is how the presets' per-task steps were chosen.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import {
  COMPARISON_STEPS_RULE_TEXT,
  comparisonSteps,
  type DevLossCurve,
} from "../lib/repro/plan/comparison_steps.ts";
import { reproExperiments } from "../lib/repro/plan/experiments.ts";
import { REPRO_PRESETS, type ReproPreset } from "../lib/repro/plan/run_spec.ts";
import { runSpecHash } from "../lib/repro/run/store.ts";

interface Evaluation {
  readonly step: number;
  readonly loss: number;
}

async function readEvaluations(dir: string, hash: string): Promise<Evaluation[] | undefined> {
  try {
    const stored = JSON.parse(await Deno.readTextFile(join(dir, "runs", `${hash}.json`)));
    return stored.record.evaluations as Evaluation[];
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const trainDir = join(dir, "train", hash.slice(0, 16), "runs");
  try {
    for await (const entry of Deno.readDir(trainDir)) {
      const text = await Deno.readTextFile(join(trainDir, entry.name, "events.jsonl"));
      return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l))
        .filter((e) => e.type === "eval") as Evaluation[];
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return undefined;
}

function meanCurve(runs: readonly Evaluation[][]): DevLossCurve {
  const common = runs.map((r) => new Set(r.map((e) => e.step)));
  const steps = [...common[0]!].filter((s) => common.every((c) => c.has(s))).sort((a, b) => a - b);
  const devLoss = steps.map((s) => {
    const losses = runs.map((r) => r.find((e) => e.step === s)!.loss);
    return losses.reduce((a, b) => a + b, 0) / losses.length;
  });
  return { steps, devLoss };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      preset: { type: "string", default: "quick" },
      out: { type: "string", default: "results" },
      backend: { type: "string", default: "tensorflow" },
    },
  });
  if (!(REPRO_PRESETS as readonly string[]).includes(values.preset)) {
    console.error(
      `Cannot calibrate: --preset must be one of ${
        REPRO_PRESETS.join(", ")
      }, received "${values.preset}"`,
    );
    Deno.exit(2);
  }
  const preset = values.preset as ReproPreset;
  const dir = join(values.out, preset);
  const regime = reproExperiments(preset).find((e) => e.id === "regime")!;
  console.log(`rule: ${COMPARISON_STEPS_RULE_TEXT}`);
  const tasks = [...new Set(regime.runs.map((r) => r.task))];
  for (const task of tasks) {
    const read: { seed: number; evaluations: Evaluation[] }[] = [];
    for (const spec of regime.runs.filter((r) => r.task === task)) {
      const evaluations = await readEvaluations(dir, await runSpecHash(spec, values.backend));
      if (evaluations !== undefined && evaluations.length > 0) {
        read.push({ seed: spec.seed, evaluations });
      }
    }
    if (read.length === 0) {
      console.log(`${task}: no regime run found in ${dir}`);
      continue;
    }
    const curve = meanCurve(read.map((r) => r.evaluations));
    const steps = comparisonSteps(curve);
    console.log(
      `${task}: seeds ${read.map((r) => r.seed).join(",")} up to step ${curve.steps.at(-1)}; ` +
        `dev loss ${
          curve.steps.map((s, i) => `${s}:${curve.devLoss[i]!.toFixed(3)}`).join(" ")
        }\n  -> comparison steps ${steps ?? "none (the rule is not met within these steps)"}`,
    );
  }
}
