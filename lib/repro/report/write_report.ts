/**
 * Writes a reproduction's outputs from its stored runs: `regime.json` and `verdicts.json` (the
 * evidence), `report.html` (self-contained, offline), `runs.csv` and the numeric tables under
 * `tables/`.
 *
 * @module
 */
import { writeReportHtml } from "../../viz/report.ts";
import { tableCsv } from "./csv.ts";
import {
  comparisonsCsv,
  costCsv,
  regimeCsv,
  runsCsv,
  scoresCsv,
  verdictsCsv,
} from "./csv_tables.ts";
import { reproEvidence, writeEvidence } from "./evidence_files.ts";
import {
  agreementLine,
  compareWithReference,
  readReference,
  referenceDir,
  referenceLabel,
  type ReferenceResults,
} from "./reference.ts";
import { resolve } from "node:path";
import { reproExperiments } from "../plan/experiments.ts";
import type { ExperimentSpec, ReproPreset } from "../plan/run_spec.ts";
import { reportSections } from "./sections.ts";
import { readStoredRuns, type ReadStoredRunsOptions } from "../run/store.ts";
import { nlgSections } from "./nlg_sections.ts";
import { REPRO_TRACKS } from "../plan/tracks.ts";
import type { NlgStoredRun } from "../run/nlg_execute.ts";
import type { EquivalenceEvidence } from "./verdicts.ts";
import { writeFileAtomic } from "../../train/atomic_file.ts";
import type { ReportSection } from "../../viz/report.ts";

/**
 * Reads the runs in `dir` and writes `dir/regime.json`, `dir/verdicts.json`, `dir/report.html`,
 * `dir/runs.csv` and `dir/tables/*.csv`, each file atomically (an interrupted or failed write
 * leaves the previous file whole).
 *
 * @param dir The preset's results folder.
 * @param preset The preset.
 * @param experiments The preset's experiments when they were changed (e.g. a scaled-down paper
 * grid from `overrideRuns`); default `reproExperiments(preset)`.
 * @param options `onInvalid`: where stored files that are not valid runs are reported (they are
 * then left out; without it such a file is an error naming it). `reference`: the committed
 * reference folder to compare with (default `reference/<preset>` of the repository; nothing is
 * compared when it has no `verdicts.json` or is `dir` itself); `log` receives the agreement line.
 * @returns The paths written (with `agreement.json` when a reference was compared).
 * @example
 * ```ts
 * import { writeReproReport } from "./write_report.ts";
 * import { assert } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * const paths = await writeReproReport(dir, "smoke");
 * assert(paths.some((p) => p.endsWith("verdicts.json")));
 * assert(paths.some((p) => p.endsWith("report.html")));
 * ```
 */
export async function writeReproReport(
  dir: string,
  preset: ReproPreset,
  experiments: readonly ExperimentSpec[] = reproExperiments(preset),
  options: ReadStoredRunsOptions & {
    readonly reference?: string;
    readonly log?: (line: string) => void;
  } = {},
): Promise<string[]> {
  const readOptions: ReadStoredRunsOptions = options.onInvalid
    ? { onInvalid: options.onInvalid }
    : {};
  const runs = await readStoredRuns(dir, readOptions);
  let equivalence: EquivalenceEvidence | undefined;
  try {
    equivalence = JSON.parse(
      await Deno.readTextFile(`${dir}/equivalence.json`),
    ) as EquivalenceEvidence;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const evidence = reproEvidence({
    experiments,
    runs,
    ...(equivalence ? { equivalence } : {}),
  });
  const written = await writeEvidence(dir, evidence);
  const sections = reportSections({
    preset,
    experiments,
    runs,
    evidence,
    ...(equivalence ? { equivalence } : {}),
  });
  const referencePath = options.reference ?? referenceDir(preset);
  let reference: ReferenceResults | undefined;
  if (resolve(referencePath) !== resolve(dir)) {
    try {
      reference = await readReference(referencePath);
    } catch (error) {
      // A broken reference must not cost the fresh run its report: it is said, not compared.
      const why = `Cannot compare with the reference in ${referencePath}: ${
        (error as Error).message
      }`;
      options.log?.(why);
      sections.splice(1, 0, { heading: "Agreement with the committed reference", text: why });
    }
  }
  if (reference !== undefined) {
    const agreement = compareWithReference(evidence, reference.evidence);
    const label = referenceLabel(reference.provenance);
    const path = `${dir}/agreement.json`;
    await writeFileAtomic(
      path,
      JSON.stringify({ reference: reference.provenance, ...agreement }, null, 1) + "\n",
    );
    written.push(path);
    options.log?.(agreementLine(agreement, label));
    sections.splice(1, 0, {
      heading: "Agreement with the committed reference",
      text: `${agreementLine(agreement, label)}. Rule: ${agreement.rule}.`,
      table: {
        rows: agreement.claims.map((c) => ({
          claim: c.claim,
          "this run": c.fresh,
          reference: c.reference,
          "within noise": c.agree ? "yes" : "no",
          comparisons: c.comparisons.map((x) =>
            `${x.label}: ${x.fresh.toFixed(2)} vs ${x.reference.toFixed(2)} (z = ${x.z.toFixed(2)})`
          ).join("; "),
        })),
        columns: ["claim", "this run", "reference", "within noise", "comparisons"],
      },
    });
  }
  await Deno.mkdir(`${dir}/tables`, { recursive: true });
  const csvFiles: [string, string][] = [
    [`${dir}/runs.csv`, runsCsv(runs)],
    [`${dir}/tables/scores.csv`, scoresCsv(runs)],
    [`${dir}/tables/verdicts.csv`, verdictsCsv(evidence)],
    [`${dir}/tables/comparisons.csv`, comparisonsCsv(evidence)],
    [`${dir}/tables/regime.csv`, regimeCsv(evidence)],
    [`${dir}/tables/cost.csv`, costCsv(runs)],
  ];
  for (const [path, text] of csvFiles) {
    await writeFileAtomic(path, text);
    written.push(path);
  }
  // The NLG track (`deno task repro nlg`) stores its runs in <dir>/nlg: its sections come last,
  // and its tables are written as shown.
  const nlgDir = `${dir}/${REPRO_TRACKS.nlg.folder}`;
  const nlgRuns = (await readStoredRuns(nlgDir, readOptions) as NlgStoredRun[]).filter((
    r,
  ) => r.nlg);
  if (nlgRuns.length > 0 && preset !== "full") {
    const nlg = nlgSections({ preset, runs: nlgRuns });
    for (const section of nlg) sections.push(section);
    for (const path of await writeSectionTables(dir, nlg, "nlg-")) written.push(path);
  }
  const html = `${dir}/report.html`;
  await writeReportHtml(html, sections, { title: `loradrop reproduction (${preset})` });
  written.push(html);
  return written;
}

/**
 * Writes every table of a report's sections as `dir/tables/<prefix>NN-heading.csv` (atomically).
 *
 * @param dir The results folder.
 * @param sections The report's sections; those without a table are skipped.
 * @param prefix A prefix of the file names (default none).
 * @returns The paths written, in section order.
 * @example
 * ```ts
 * import { writeSectionTables } from "./write_report.ts";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * const paths = await writeSectionTables(dir, [{ heading: "Scores", table: { rows: [{ a: 1 }], columns: ["a"] } }]);
 * assertEquals(paths, [`${dir}/tables/01-scores.csv`]);
 * ```
 */
export async function writeSectionTables(
  dir: string,
  sections: readonly ReportSection[],
  prefix = "",
): Promise<string[]> {
  const written: string[] = [];
  await Deno.mkdir(`${dir}/tables`, { recursive: true });
  let n = 0;
  for (const s of sections) {
    if (!s.table) continue;
    const name = (s.heading ?? `table-${n}`).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(
      /^-|-$/g,
      "",
    );
    const path = `${dir}/tables/${prefix}${String(++n).padStart(2, "0")}-${name.slice(0, 40)}.csv`;
    await writeFileAtomic(path, tableCsv(s.table.rows, s.table.columns));
    written.push(path);
  }
  return written;
}
