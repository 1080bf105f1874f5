// Cells that several reproduction notebooks share (private helper of the notebook builders).
import { code, md, type NotebookCell, t } from "./_nbformat.ts";

/**
 * The reproduction notebooks' setup lines: the preset, the fastest backend and the results folder.
 * They expect `notebookPreset` (from `@loradrop/core/repro`) and `initFastestBackend` imported.
 */
export const RESULTS_SETUP = `const preset = notebookPreset();
const backend = await initFastestBackend({ log: console.log });
const dir = (Deno.env.get("LORADROP_RESULTS") ?? "../results") + "/" + preset;`;

/**
 * The "What is known before anything runs here" section: its text and the cell that shows the
 * verdicts of the notebook's `claims` (by number) from local or committed reference results.
 */
export function knownEvidenceCells(claims: readonly number[]): NotebookCell[] {
  return [
    md(t`
## What is known before anything runs here

The verdicts of this notebook's claims as \`results/<preset>/verdicts.json\` holds them — or, when
this preset has no local results yet, as the **committed reference results** (\`reference/<preset>/\`)
hold them, labelled with the commit, machine, backend and date that made them. Each claim is decided
by paired differences over (task, seed) with 95% CIs; the forest plot shows every difference.
`),
    code(`await displayKnownEvidence(dir, preset, [${claims.join(", ")}]);`),
  ];
}

/**
 * The "Verdicts" section: how the notebook's `claims` (consecutive numbers) are decided, then
 * `scope` (the text that follows "(notebook 01's regime check)", from its punctuation on), and the
 * cell that writes and shows the evidence. It expects `input` (the stored runs) defined.
 */
export function verdictsCells(claims: readonly number[], scope: string): NotebookCell[] {
  const range = `${claims[0]}-${claims.at(-1)}`;
  return [
    md(t`
## Verdicts

Claims ${range} of the paper (listed in \`docs/claims.md\`) as \`verdicts.json\` holds them, each decided by
paired differences over (task, seed) with a 95% CI and Holm's correction across the claim's
comparisons (in the forest plot, a bar that crosses 0 is inconclusive, never reproduced). They are
only tested on tasks where the no-dropout baseline overfits (notebook 01's regime check)${scope}
`),
    code(t`
// Writes regime.json and verdicts.json of this results folder from the stored runs, then shows them.
const evidence = await updateEvidence(dir, input);
await displaySections([claimsSection(evidence, [${claims.join(", ")}])]);
`),
  ];
}
