import { assert, assertEquals, assertRejects } from "@std/assert";
import { reproEvidence, writeEvidence } from "../lib/repro/report/evidence_files.ts";
import { reproExperiments } from "../lib/repro/plan/experiments.ts";
import { compareWithReference, localOrReference } from "../lib/repro/report/reference.ts";
import { writeReproReport } from "../lib/repro/report/write_report.ts";
import type { ClaimVerdict } from "../lib/repro/report/verdicts.ts";
import type { ReproEvidence } from "../lib/repro/report/evidence_files.ts";
import { withTempDir } from "./_temp_dir.ts";

const PROVENANCE = {
  commit: "0123456789abcdef",
  machine: "Debian 12, 2 cores, 24 GiB, no GPU",
  backend: "wasm",
  date: "2026-12-03T10:00:00Z",
};

/**
 * Runs `fn` with a temporary `reference` folder holding the smoke grid's evidence of no runs (and
 * no provenance yet) and the path of a `local` results folder that does not exist yet.
 */
function withSmokeReference(fn: (reference: string, local: string) => Promise<void>) {
  return withTempDir("loradrop-reference-", async (root) => {
    const reference = `${root}/reference`, local = `${root}/results`;
    await writeEvidence(
      reference,
      reproEvidence({ runs: [], experiments: reproExperiments("smoke") }),
    );
    await fn(reference, local);
  });
}

Deno.test("without local results a notebook shows the reference, labelled with its provenance", () =>
  withSmokeReference(async (reference, local) => {
    await assertRejects(
      () => localOrReference(local, "smoke", reference),
      Error,
      "provenance.json",
    );
    await Deno.writeTextFile(`${reference}/provenance.json`, JSON.stringify(PROVENANCE));
    const shown = await localOrReference(local, "smoke", reference);
    assertEquals(shown?.source, "reference");
    assertEquals(
      shown?.label,
      "reference results (commit 0123456, Debian 12, 2 cores, 24 GiB, no GPU, backend wasm, 2026-12-03)",
    );
    // Once the local folder has its own evidence, that is what is shown.
    await writeEvidence(local, reproEvidence({ runs: [], experiments: reproExperiments("smoke") }));
    assertEquals((await localOrReference(local, "smoke", reference))?.source, "local");
    // The report compares with the reference and writes agreement.json.
    const lines: string[] = [];
    const written = await writeReproReport(local, "smoke", reproExperiments("smoke"), {
      reference,
      log: (l) => lines.push(l),
    });
    assert(written.some((p) => p.endsWith("agreement.json")));
    assert(lines[0]!.startsWith("agrees with the reference results"), lines[0]);
  }));

function evidenceWith(
  difference: number,
  halfWidth: number,
  verdict = "reproduced",
): ReproEvidence {
  const comparison = {
    label: "hiddenKey − baseline",
    n: 6,
    difference,
    ci95: [difference - halfWidth, difference + halfWidth],
  };
  return {
    regime: [{ task: "t", overfits: true }],
    verdicts: [{ claim: 10, verdict, comparisons: [comparison] } as unknown as ClaimVerdict],
  } as unknown as ReproEvidence;
}

Deno.test("a fresh run agrees with the reference within seed noise by the stated z rule", () => {
  // Half-widths of 1 point with n = 6: se = 1 / 2.5706 each, √2 · se ≈ 0.55; 1.96 · 0.55 ≈ 1.08.
  assertEquals(
    compareWithReference(evidenceWith(1, 1), evidenceWith(2, 1, "inconclusive")).agree,
    true,
  );
  const far = compareWithReference(evidenceWith(1, 1), evidenceWith(2.2, 1));
  assertEquals(far.agree, false);
  assert(far.claims[0]!.comparisons[0]!.z > 1.96);
  // The verdicts may differ while the numbers agree: both are reported.
  const near = compareWithReference(evidenceWith(1, 1), evidenceWith(1.5, 1, "inconclusive"));
  assertEquals([near.agree, near.claims[0]!.sameVerdict], [true, false]);
  // A task whose regime flips is a disagreement.
  const flipped = evidenceWith(1, 1);
  const other = {
    ...flipped,
    regime: [{ task: "t", overfits: false }],
  } as unknown as ReproEvidence;
  assertEquals(compareWithReference(flipped, other).regimeDiffers, ["t"]);
});

Deno.test("a reference without provenance does not cost a fresh run its report: it is said", () =>
  withSmokeReference(async (reference, local) => {
    const lines: string[] = [];
    const written = await writeReproReport(local, "smoke", reproExperiments("smoke"), {
      reference,
      log: (l) => lines.push(l),
    });
    assert(written.some((p) => p.endsWith("report.html")));
    assert(!written.some((p) => p.endsWith("agreement.json")));
    assert(lines[0]!.includes("provenance.json"), lines[0]);
  }));
