/**
 * Regenerates every notebook of `notebooks/` from its maker (`deno run -A tools/make_notebooks.ts`).
 * Each maker runs in its own process, so each notebook's cell ids are the same whether it is
 * written alone or with the others.
 *
 * @module
 */
const MAKERS = [
  "make_getting_started.ts",
  "make_01_lora_overfits.ts",
  "make_02_dropkey_vs_dropattention.ts",
  "make_03_unified_framework.ts",
  "make_04_hiddenkey.ts",
  "make_05_cost.ts",
];

let failed = 0;
for (const maker of MAKERS) {
  const script = new URL(`./${maker}`, import.meta.url).pathname;
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(`make_notebooks: ${maker} exited with code ${code}`);
    failed += 1;
  }
}
if (failed > 0) Deno.exit(1);
