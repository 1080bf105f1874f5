/**
 * Regenerates every notebook of `notebooks/` from its maker, `tools/make_*.ts` (`deno run -A
 * tools/make_notebooks.ts`).
 * Each maker runs in its own process, so each notebook's cell ids are the same whether it is
 * written alone or with the others.
 *
 * @module
 */
// Every notebook maker in this folder (`make_*.ts`), this script excepted.
const here = new URL(".", import.meta.url).pathname;
const MAKERS = [...Deno.readDirSync(here)]
  .map((e) => e.name)
  .filter((n) => /^make_.+\.ts$/.test(n) && n !== "make_notebooks.ts")
  .sort();

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
