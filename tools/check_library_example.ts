/**
 * Runs README's "Use it as a library" steps as written, in a fresh temporary folder: the shell
 * blocks between the `library-example` markers are run in order, and each file block is written to
 * the path named just above it (`my-study/deno.json`:). The one substitution: `<this repository>`
 * becomes this checkout's path. Exits 1 when a step fails, 2 when README has no such section.
 * (`deno run -A tools/check_library_example.ts`; `.ci/run` calls it.)
 *
 * @module
 */
const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const readme = await Deno.readTextFile(`${root}/README.md`);
const begin = readme.indexOf("<!-- library-example");
const end = readme.indexOf("<!-- /library-example -->");
if (begin < 0 || end < begin) {
  console.error("check_library_example: README.md has no library-example section");
  Deno.exit(2);
}
const section = readme.slice(begin, end);

/** A step of the section: a shell block to run, or a file block to write. */
type Step = { kind: "sh"; body: string } | { kind: "file"; path: string; body: string };
const steps: Step[] = [];
const block = /(?:`([^`\n]+)`:\s*\n\s*\n)?```(\w+)[^\n]*\n([\s\S]*?)```/g;
for (const m of section.matchAll(block)) {
  const [, path, lang, body] = m;
  if (lang === "sh") steps.push({ kind: "sh", body: body! });
  else if (path !== undefined) steps.push({ kind: "file", path, body: body! });
  else {
    console.error(`check_library_example: a ${lang} block names no file above it`);
    Deno.exit(2);
  }
}

const work = await Deno.makeTempDir({ prefix: "loradrop_library_example_" });
let cwd = work;
let failed = false;
for (const step of steps) {
  if (step.kind === "file") {
    const path = `${work}/${step.path}`;
    console.log(`check_library_example: write ${step.path}`);
    await Deno.writeTextFile(path, step.body);
    continue;
  }
  // Each shell block runs in the folder the previous one ended in.
  const script = `${step.body.replaceAll("<this repository>", root)}\npwd > "${work}/.cwd"\n`;
  console.log(`check_library_example: run in ${cwd}:\n${step.body.trimEnd()}`);
  const { code } = await new Deno.Command("bash", {
    args: ["-euo", "pipefail", "-c", script],
    cwd,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(`check_library_example: the step exited with code ${code}`);
    failed = true;
    break;
  }
  cwd = (await Deno.readTextFile(`${work}/.cwd`)).trim();
}
await Deno.remove(work, { recursive: true });
console.log(failed ? "library example: FAILED" : "library example: ok");
Deno.exit(failed ? 1 : 0);
