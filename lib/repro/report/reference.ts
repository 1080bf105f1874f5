/**
 * The committed reference results (`reference/<preset>/`: run records, `verdicts.json`,
 * `regime.json` and `provenance.json` naming the commit, machine, backend and date that made them),
 * and the comparison of a fresh reproduction with them.
 *
 * Agreement rule, per comparison that both have: with `se = (ci_high − ci_low) / (2 · t(0.975, n − 1))`
 * for each, the two mean differences agree within seed noise when
 * `|d_fresh − d_reference| ≤ 1.96 · √(se_fresh² + se_reference²)` (a z-test of two independent
 * estimates at α = 0.05). A claim agrees when all its shared comparisons agree, or — for the
 * numerical checks and untestable claims — when the verdicts are the same; the regimes agree when
 * every task's `overfits` is the same. Same verdicts are reported beside it: two runs can agree
 * within noise while one verdict is reproduced and the other inconclusive.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { readEvidence, type ReproEvidence } from "./evidence_files.ts";
import { tQuantile } from "./paired.ts";

/** Who made a reference run, where and when (`reference/<preset>/provenance.json`). */
export interface ReferenceProvenance {
  /** The git commit of the code that made the runs. */
  readonly commit: string;
  /** The machine, in words (OS, cores, memory, GPU). */
  readonly machine: string;
  /** The TensorFlow.js backend. */
  readonly backend: string;
  /** ISO date the run finished. */
  readonly date: string;
  /** The command that made it. */
  readonly command?: string;
}

/** A committed reference. */
export interface ReferenceResults {
  /** Its folder. */
  readonly dir: string;
  /** Its provenance. */
  readonly provenance: ReferenceProvenance;
  /** Its regime and verdicts. */
  readonly evidence: ReproEvidence;
}

/**
 * The repository's reference folder of a preset.
 *
 * @param preset The preset.
 * @returns `<repository>/reference/<preset>`.
 * @example
 * ```ts
 * import { referenceDir } from "@loradrop/core/repro";
 * import { assert } from "@std/assert";
 * assert(referenceDir("quick").endsWith("/reference/quick"));
 * ```
 */
export function referenceDir(preset: string): string {
  return fileURLToPath(new URL(`../../../reference/${preset}`, import.meta.url));
}

/**
 * Reads a committed reference; undefined when it has no `verdicts.json`. A reference without a
 * valid `provenance.json` is an error: reference results must say where they come from.
 *
 * @param dir The reference folder (default {@linkcode referenceDir} is the caller's to pass).
 * @returns The reference, or undefined.
 * @example
 * ```ts
 * import { readReference } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(await readReference("/nonexistent-folder"), undefined);
 * ```
 */
export async function readReference(dir: string): Promise<ReferenceResults | undefined> {
  const evidence = await readEvidence(dir);
  if (evidence === undefined) return undefined;
  const path = `${dir}/provenance.json`;
  let provenance: Partial<ReferenceProvenance>;
  try {
    provenance = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new Error(
      `Cannot read the reference in ${dir}: expected provenance.json with commit, machine, backend and date (${
        (error as Error).message
      })`,
    );
  }
  const missing = (["commit", "machine", "backend", "date"] as const).filter((k) =>
    typeof provenance[k] !== "string" || provenance[k] === ""
  );
  if (missing.length > 0) {
    throw new TypeError(
      `Cannot read ${path}: expected non-empty strings commit, machine, backend, date, missing ${
        missing.join(", ")
      }`,
    );
  }
  return { dir, provenance: provenance as ReferenceProvenance, evidence };
}

/**
 * A one-line label for reference results.
 *
 * @param provenance The reference's provenance.
 * @returns E.g. `reference results (commit 1a2b3c4, Debian 12, 2 cores, backend wasm, 2026-12-03)`.
 * @example
 * ```ts
 * import { referenceLabel } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(
 *   referenceLabel({ commit: "1a2b3c4d5e", machine: "Debian 12, 2 cores", backend: "wasm", date: "2026-12-03T10:00:00Z" }),
 *   "reference results (commit 1a2b3c4, Debian 12, 2 cores, backend wasm, 2026-12-03)",
 * );
 * ```
 */
export function referenceLabel(provenance: ReferenceProvenance): string {
  return `reference results (commit ${provenance.commit.slice(0, 7)}, ${provenance.machine}, ` +
    `backend ${provenance.backend}, ${provenance.date.slice(0, 10)})`;
}

/** What a notebook shows: local results when they exist, else the committed reference. */
export interface ShownEvidence {
  /** `local` or `reference`. */
  readonly source: "local" | "reference";
  /** Where they come from, in words (the reference's commit, machine, backend and date). */
  readonly label: string;
  /** The regime and verdicts. */
  readonly evidence: ReproEvidence;
}

/**
 * The evidence to show for a preset: the results folder's own `verdicts.json` / `regime.json`
 * when they exist, otherwise the committed reference's, labelled as such.
 *
 * @param dir The preset's results folder.
 * @param preset The preset (its reference folder is `reference/<preset>`).
 * @param reference The reference folder (default {@linkcode referenceDir}`(preset)`).
 * @returns The evidence, or undefined when neither exists.
 * @example
 * ```ts
 * import { localOrReference } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(await localOrReference("/nonexistent-folder", "smoke", "/nonexistent-reference"), undefined);
 * ```
 */
export async function localOrReference(
  dir: string,
  preset: string,
  reference: string = referenceDir(preset),
): Promise<ShownEvidence | undefined> {
  const local = await readEvidence(dir);
  if (local !== undefined) {
    return { source: "local", label: `local results in ${dir}`, evidence: local };
  }
  const ref = await readReference(reference);
  if (ref === undefined) return undefined;
  return { source: "reference", label: referenceLabel(ref.provenance), evidence: ref.evidence };
}

/** One claim compared between a fresh run and the reference. */
export interface ClaimAgreement {
  /** The claim. */
  readonly claim: number;
  /** The fresh verdict. */
  readonly fresh: string;
  /** The reference's verdict. */
  readonly reference: string;
  /** Whether the verdicts are the same. */
  readonly sameVerdict: boolean;
  /** Whether the numbers agree within seed noise (the module's rule). */
  readonly agree: boolean;
  /** Per shared comparison: both differences, the z statistic and the outcome. */
  readonly comparisons: readonly {
    readonly label: string;
    readonly fresh: number;
    readonly reference: number;
    readonly z: number;
    readonly agree: boolean;
  }[];
}

/** A fresh run against the reference. */
export interface ReferenceAgreement {
  /** The rule, in words. */
  readonly rule: string;
  /** Whether everything agrees within seed noise. */
  readonly agree: boolean;
  /** Tasks whose regime differs. */
  readonly regimeDiffers: readonly string[];
  /** Per claim present in both. */
  readonly claims: readonly ClaimAgreement[];
}

/** The agreement rule, in words. */
export const AGREEMENT_RULE: string =
  "two mean paired differences agree within seed noise when |d_fresh − d_reference| ≤ 1.96 · √(se_fresh² + se_reference²), " +
  "se = CI half-width / t(0.975, n − 1); a claim agrees when all its shared comparisons do (or, without comparisons, " +
  "when its verdict is the same); the regimes agree when every task's overfits is the same";

function standardError(ci: readonly [number, number], n: number): number {
  return (ci[1] - ci[0]) / (2 * tQuantile(0.975, n - 1));
}

/**
 * Compares a fresh reproduction with the reference (see the module doc for the rule).
 *
 * @param fresh The fresh run's evidence.
 * @param reference The reference's evidence.
 * @returns The agreement per claim and overall.
 * @example
 * ```ts
 * import { compareWithReference } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const c = { label: "A − B", n: 6, difference: 1, ci95: [0.5, 1.5] as const };
 * const verdict = (d: number) => ({ claim: 10, verdict: "reproduced", comparisons: [{ ...c, difference: d, ci95: [d - 0.5, d + 0.5] as const }] });
 * const a = compareWithReference({ regime: [], verdicts: [verdict(1)] } as never, { regime: [], verdicts: [verdict(1.2)] } as never);
 * assertEquals(a.agree, true);
 * const b = compareWithReference({ regime: [], verdicts: [verdict(1)] } as never, { regime: [], verdicts: [verdict(3)] } as never);
 * assertEquals(b.agree, false);
 * ```
 */
export function compareWithReference(
  fresh: ReproEvidence,
  reference: ReproEvidence,
): ReferenceAgreement {
  const claims: ClaimAgreement[] = [];
  for (const f of fresh.verdicts) {
    const r = reference.verdicts.find((v) => v.claim === f.claim);
    if (r === undefined) continue;
    const comparisons = f.comparisons.flatMap((fc) => {
      const rc = r.comparisons.find((x) => x.label === fc.label);
      if (
        rc === undefined || fc.difference === null || rc.difference === null || !fc.ci95 ||
        !rc.ci95
      ) return [];
      const se = Math.hypot(standardError(fc.ci95, fc.n), standardError(rc.ci95, rc.n));
      const gap = Math.abs(fc.difference - rc.difference);
      const z = se === 0 ? (gap < 1e-9 ? 0 : Infinity) : gap / se;
      return [{
        label: fc.label,
        fresh: fc.difference,
        reference: rc.difference,
        z,
        agree: z <= 1.96,
      }];
    });
    const sameVerdict = f.verdict === r.verdict;
    claims.push({
      claim: f.claim,
      fresh: f.verdict,
      reference: r.verdict,
      sameVerdict,
      agree: comparisons.length > 0 ? comparisons.every((c) => c.agree) : sameVerdict,
      comparisons,
    });
  }
  const regimeDiffers = fresh.regime.filter((f) => {
    const r = reference.regime.find((x) => x.task === f.task);
    return r !== undefined && r.overfits !== f.overfits;
  }).map((f) => f.task);
  return {
    rule: AGREEMENT_RULE,
    agree: regimeDiffers.length === 0 && claims.every((c) => c.agree),
    regimeDiffers,
    claims,
  };
}

/**
 * The agreement in one line for the console.
 *
 * @param agreement The comparison with the reference.
 * @param label The reference's label.
 * @returns A sentence.
 * @example
 * ```ts
 * import { agreementLine } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(
 *   agreementLine({ rule: "", agree: true, regimeDiffers: [], claims: [] }, "reference results (x)"),
 *   "agrees with the reference results (x) within seed noise on 0 claim(s); same verdict on 0",
 * );
 * ```
 */
export function agreementLine(agreement: ReferenceAgreement, label: string): string {
  const same = agreement.claims.filter((c) => c.sameVerdict).length;
  const differ = agreement.claims.filter((c) => !c.agree).map((c) => c.claim);
  return agreement.agree
    ? `agrees with the ${label} within seed noise on ${agreement.claims.length} claim(s); same verdict on ${same}`
    : `DIFFERS from the ${label} beyond seed noise: ${
      [
        ...(differ.length ? [`claim(s) ${differ.join(", ")}`] : []),
        ...(agreement.regimeDiffers.length
          ? [`regime of ${agreement.regimeDiffers.join(", ")}`]
          : []),
      ].join("; ")
    }; same verdict on ${same} of ${agreement.claims.length}`;
}
