import { assert, assertEquals } from "@std/assert";
import {
  claimsTableMarkdown,
  currentClaimsTable,
  sameClaimsTable,
} from "../lib/repro/report/claims_table.ts";
import { REPRO_PRESETS } from "../lib/repro/plan/run_spec.ts";
import {
  readReference,
  referenceDir,
  type ReferenceResults,
} from "../lib/repro/report/reference.ts";
import { PAPER_CLAIMS } from "../lib/repro/report/paper_tables.ts";

Deno.test("README's claims table is the one generated from the committed reference verdicts", async () => {
  const references: [string, ReferenceResults][] = [];
  for (const preset of REPRO_PRESETS) {
    const ref = await readReference(referenceDir(preset));
    if (ref !== undefined) references.push([preset, ref]);
  }
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const current = currentClaimsTable(readme);
  if (current === undefined) throw new Error("README has no claims-table markers");
  assert(
    sameClaimsTable(current, claimsTableMarkdown(references)),
    "README's claims table is out of date: run deno task claims-table",
  );
});

Deno.test("docs/claims.md describes every claim the verdicts use", async () => {
  const doc = await Deno.readTextFile(new URL("../docs/claims.md", import.meta.url));
  const numbered = [...doc.matchAll(/^\| (\d+) +\|/gm)].map((m) => Number(m[1]));
  assertEquals(numbered, Object.keys(PAPER_CLAIMS).map(Number));
});

Deno.test("a reference's table shows each claim's verdict, difference and CI", () => {
  const ref = {
    dir: "",
    provenance: {
      commit: "0123456789",
      machine: "Debian 12, 2 cores",
      backend: "wasm",
      date: "2026-12-03",
    },
    evidence: {
      regime: [],
      verdicts: [{
        claim: 10,
        text: "HiddenKey beats the baseline.",
        verdict: "inconclusive",
        n: 6,
        difference: 0.29,
        ci95: [-1.5, 2.08],
        p: 0.7,
      }],
    },
  } as unknown as ReferenceResults;
  const table = claimsTableMarkdown([["quick", ref]]);
  assert(
    table.includes(
      "| 10 | HiddenKey beats the baseline. | inconclusive | +0.29 | [−1.50, +2.08] | 6 |",
    ),
    table,
  );
  assert(table.includes("commit 0123456"), table);
});
