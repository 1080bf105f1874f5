/**
 * What a notebook shows before it runs anything: the preset's evidence from the local results
 * folder, or else from the committed reference results, labelled with where they come from.
 *
 * @module
 */
import type { DisplayTarget } from "../../viz/display.ts";
import { claimsSection, regimeSection } from "./evidence_sections.ts";
import { displaySections } from "./notebook_runner.ts";
import { localOrReference, referenceDir, type ShownEvidence } from "./reference.ts";

/** Options of {@linkcode displayKnownEvidence}. */
export interface KnownEvidenceOptions {
  /** Show the regime check before the verdicts (default false). */
  readonly regime?: boolean;
  /** The reference folder (default `reference/<preset>` of the repository). */
  readonly reference?: string;
  /** Where the sections go (default: the Jupyter kernel, or text on the console). */
  readonly target?: DisplayTarget;
  /** Progress lines (default `console.log`). */
  readonly log?: (line: string) => void;
}

/**
 * Displays the verdicts of some claims (and optionally the regime) as the local `verdicts.json`
 * holds them, or the committed reference's when there are no local results, with a line naming
 * the source (the reference's commit, machine, backend and date).
 *
 * @param dir The preset's results folder.
 * @param preset The preset.
 * @param claims The claims to show.
 * @param options Regime, reference folder, display target and log.
 * @returns What was shown, or undefined when there is neither.
 * @example
 * ```ts
 * import { displayKnownEvidence } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * const lines: string[] = [];
 * const shown = await displayKnownEvidence("/nonexistent-folder", "smoke", [10], {
 *   reference: "/nonexistent-reference",
 *   log: (l) => lines.push(l),
 * });
 * assertEquals(shown, undefined);
 * assertEquals(lines.length, 1);
 * ```
 */
export async function displayKnownEvidence(
  dir: string,
  preset: string,
  claims: readonly number[],
  options: KnownEvidenceOptions = {},
): Promise<ShownEvidence | undefined> {
  const log = options.log ?? ((line: string) => console.log(line));
  const known = await localOrReference(dir, preset, options.reference ?? referenceDir(preset));
  if (known === undefined) {
    log(
      `No results for preset ${preset} in ${dir} and no committed reference for it: the cells below make them.`,
    );
    return undefined;
  }
  log(`Showing ${known.label}.`);
  await displaySections(
    [
      ...(options.regime ? [regimeSection(known.evidence)] : []),
      claimsSection(known.evidence, claims),
    ],
    options.target === undefined ? {} : { target: options.target },
  );
  return known;
}
