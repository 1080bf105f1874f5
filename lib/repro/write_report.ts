/**
 * Writes a reproduction's outputs from its stored runs: `report.html` (self-contained, offline)
 * and one CSV per table.
 *
 * @module
 */
import { writeReportHtml } from "../viz/report.ts";
import { tableCsv } from "./csv.ts";
import { type ExperimentSpec, reproExperiments, type ReproPreset } from "./experiments.ts";
import { reportSections } from "./sections.ts";
import { readStoredRuns, type ReadStoredRunsOptions } from "./store.ts";
import { nlgSections } from "./nlg_sections.ts";
import type { NlgStoredRun } from "./nlg_execute.ts";
import type { EquivalenceEvidence } from "./verdicts.ts";
import { writeFileAtomic } from "../train/atomic_file.ts";
import type { ReportSection } from "../viz/report.ts";

/**
 * Reads the runs in `dir` and writes `dir/report.html` and `dir/tables/*.csv`, each file
 * atomically (an interrupted or failed write leaves the previous file whole).
 *
 * @param dir The preset's results folder.
 * @param preset The preset.
 * @param experiments The preset's experiments when they were changed (e.g. a scaled-down paper
 * grid from `overrideRuns`); default `reproExperiments(preset)`.
 * @param options Where stored files that are not valid runs are reported (they are then left
 * out); without `onInvalid` such a file is an error naming it.
 * @returns The paths written.
 * @example
 * ```ts
 * import { writeReproReport } from "./write_report.ts";
 * import { assert } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * const paths = await writeReproReport(dir, "smoke");
 * assert(paths.some((p) => p.endsWith("report.html")));
 * ```
 */
export async function writeReproReport(
  dir: string,
  preset: ReproPreset,
  experiments: readonly ExperimentSpec[] = reproExperiments(preset),
  options: ReadStoredRunsOptions = {},
): Promise<string[]> {
  const runs = await readStoredRuns(dir, options);
  let equivalence: EquivalenceEvidence | undefined;
  try {
    equivalence = JSON.parse(
      await Deno.readTextFile(`${dir}/equivalence.json`),
    ) as EquivalenceEvidence;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const sections = reportSections({
    preset,
    experiments,
    runs,
    ...(equivalence ? { equivalence } : {}),
  });
  // The NLG track (`deno task repro nlg`) stores its runs in <dir>/nlg: its sections come last.
  const nlgRuns = (await readStoredRuns(`${dir}/nlg`, options) as NlgStoredRun[]).filter((r) =>
    r.nlg
  );
  if (nlgRuns.length > 0 && preset !== "full") {
    for (const section of nlgSections({ preset, runs: nlgRuns })) sections.push(section);
  }
  const written = await writeSectionTables(dir, sections);
  const html = `${dir}/report.html`;
  await writeReportHtml(html, sections, { title: `loradrop reproduction (${preset})` });
  written.push(html);
  return written;
}

/**
 * Writes every table of a report's sections as `dir/tables/NN-heading.csv` (atomically).
 *
 * @param dir The results folder.
 * @param sections The report's sections; those without a table are skipped.
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
    const path = `${dir}/tables/${String(++n).padStart(2, "0")}-${name.slice(0, 40)}.csv`;
    await writeFileAtomic(path, tableCsv(s.table.rows, s.table.columns));
    written.push(path);
  }
  return written;
}
