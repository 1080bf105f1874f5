/**
 * The reproduction's evidence as files: `regime.json` (does the baseline overfit, per task) and
 * `verdicts.json` (one verdict per claim with its paired difference and 95% CI). `deno task repro`,
 * the report and the notebooks all write and read them through this module, so every view shows
 * the same numbers.
 *
 * @module
 */
import { writeFileAtomic } from "../../train/atomic_file.ts";
import { readJsonFile } from "../../train/json_file.ts";
import type { RegimeResult } from "./regime.ts";
import {
  type ClaimsInput,
  type ClaimVerdict,
  evaluateClaimsWithRegime,
  reproRegime,
} from "./verdicts.ts";

/** The regime per task and the verdicts decided under it. */
export interface ReproEvidence {
  /** One entry per task (`regime.json`). */
  readonly regime: readonly RegimeResult[];
  /** One entry per claim (`verdicts.json`). */
  readonly verdicts: readonly ClaimVerdict[];
}

/**
 * Computes the regime, then the verdicts under it.
 *
 * @param input Runs, experiments and the equivalence measurements.
 * @returns The evidence.
 * @example
 * ```ts
 * import { reproEvidence } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const e = reproEvidence({ runs: [], experiments: reproExperiments("smoke") });
 * assertEquals(e.regime[0]!.overfits, false);
 * ```
 */
export function reproEvidence(input: ClaimsInput): ReproEvidence {
  const regime = reproRegime(input);
  return { regime, verdicts: evaluateClaimsWithRegime(input, regime) };
}

/**
 * Writes `dir/regime.json` and `dir/verdicts.json` (atomically).
 *
 * @param dir The preset's results folder.
 * @param evidence The evidence.
 * @returns The two paths.
 * @example
 * ```ts
 * import { readEvidence, reproEvidence, writeEvidence } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * await writeEvidence(dir, reproEvidence({ runs: [], experiments: reproExperiments("smoke") }));
 * assertEquals((await readEvidence(dir))?.verdicts[0]?.claim, 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeEvidence(dir: string, evidence: ReproEvidence): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const regime = `${dir}/regime.json`, verdicts = `${dir}/verdicts.json`;
  await writeFileAtomic(regime, JSON.stringify(evidence.regime, null, 1) + "\n");
  await writeFileAtomic(verdicts, JSON.stringify(evidence.verdicts, null, 1) + "\n");
  return [regime, verdicts];
}

function checkArrayOf(
  value: unknown,
  isItem: (item: unknown) => boolean,
  path: string,
  expected: string,
): void {
  if (!Array.isArray(value) || !value.every(isItem)) {
    throw new TypeError(
      `Cannot read ${path}: expected an array of ${expected}, received ${
        JSON.stringify(value).slice(0, 80)
      }`,
    );
  }
}

/**
 * Reads `regime.json` and `verdicts.json` of a folder, checking their shape.
 *
 * @param dir A results folder or a committed reference folder.
 * @returns The evidence, or undefined when `verdicts.json` does not exist (a missing
 *   `regime.json` reads as an empty list).
 * @example
 * ```ts
 * import { readEvidence } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(await readEvidence("/nonexistent-folder"), undefined);
 * ```
 */
export async function readEvidence(dir: string): Promise<ReproEvidence | undefined> {
  const verdicts = await readJsonFile(`${dir}/verdicts.json`);
  if (verdicts === undefined) return undefined;
  const regime = (await readJsonFile(`${dir}/regime.json`)) ?? [];
  const isVerdict = (v: unknown) =>
    typeof v === "object" && v !== null && typeof (v as ClaimVerdict).claim === "number" &&
    typeof (v as ClaimVerdict).verdict === "string";
  const isRegime = (r: unknown) =>
    typeof r === "object" && r !== null && typeof (r as RegimeResult).task === "string" &&
    typeof (r as RegimeResult).overfits === "boolean";
  checkArrayOf(verdicts, isVerdict, `${dir}/verdicts.json`, "{claim, verdict, ...}");
  checkArrayOf(regime, isRegime, `${dir}/regime.json`, "{task, overfits, ...}");
  return { regime: regime as RegimeResult[], verdicts: verdicts as ClaimVerdict[] };
}

/**
 * Computes the evidence from runs, writes `dir/regime.json` and `dir/verdicts.json`, and returns
 * it — what a notebook does after its runs, so that it shows exactly what those files hold.
 *
 * @param dir The preset's results folder.
 * @param input Runs, experiments and the equivalence measurements.
 * @returns The evidence written.
 * @example
 * ```ts
 * import { readEvidence, updateEvidence } from "@loradrop/core/repro";
 * import { reproExperiments } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * const e = await updateEvidence(dir, { runs: [], experiments: reproExperiments("smoke") });
 * assertEquals((await readEvidence(dir))?.verdicts.length, e.verdicts.length);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function updateEvidence(dir: string, input: ClaimsInput): Promise<ReproEvidence> {
  const evidence = reproEvidence(input);
  await writeEvidence(dir, evidence);
  return evidence;
}
