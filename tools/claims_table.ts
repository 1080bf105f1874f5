/**
 * `deno task claims-table`: rewrites README's table of claims from the committed reference
 * verdicts (`reference/<preset>/verdicts.json`, every preset that has one) between the markers
 * of `lib/repro/report/claims_table.ts`. `--check` only reports whether README is in sync (exit 1 if not).
 *
 * @module
 */
import {
  claimsTableMarkdown,
  currentClaimsTable,
  replaceClaimsTable,
  sameClaimsTable,
} from "../lib/repro/report/claims_table.ts";
import { REPRO_PRESETS } from "../lib/repro/plan/run_spec.ts";
import {
  readReference,
  referenceDir,
  type ReferenceResults,
} from "../lib/repro/report/reference.ts";

const args = Deno.args;
const unknown = args.filter((a) => a !== "--check");
if (unknown.length > 0) {
  console.error(
    `Cannot write the claims table: expected no argument or --check, received ${unknown.join(" ")}`,
  );
  Deno.exit(2);
}
const references: [string, ReferenceResults][] = [];
for (const preset of REPRO_PRESETS) {
  const ref = await readReference(referenceDir(preset));
  if (ref !== undefined) references.push([preset, ref]);
}
const readme = new URL("../README.md", import.meta.url);
const text = await Deno.readTextFile(readme);
const block = claimsTableMarkdown(references);
if (args.includes("--check")) {
  const current = currentClaimsTable(text);
  const inSync = current !== undefined && sameClaimsTable(current, block);
  console.log(
    inSync
      ? "README's claims table is in sync"
      : "README's claims table is out of date: run deno task claims-table",
  );
  Deno.exit(inSync ? 0 : 1);
}
await Deno.writeTextFile(readme, replaceClaimsTable(text, block));
// deno fmt wraps the prose and pads the table; the check above ignores exactly that.
const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", readme.pathname] }).output();
if (!fmt.success) {
  console.error(
    `Cannot format README.md: deno fmt failed\n${new TextDecoder().decode(fmt.stderr)}`,
  );
  Deno.exit(1);
}
console.log(
  `README's claims table written from ${references.length} reference(s): ${
    references.map(([p]) => p).join(", ") || "none"
  }`,
);
