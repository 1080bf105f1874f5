// Spreading an array into call arguments (`Math.max(...xs)`, `out.push(...xs)`) puts every element
// on the call stack: past roughly 100,000 elements it throws "Maximum call stack size exceeded".
// lib/ handles data of any size, so it uses loops and reduce instead; this test keeps it that way.
import { assertEquals } from "@std/assert";

const LIB = new URL("../lib/", import.meta.url).pathname;
// a spread among the call's own arguments (`push(a, ...b)`), not inside an object or array literal
const SPREAD_CALL =
  /(?:Math\.(?:max|min)|\.push|\.unshift|\.splice|\.fromCharCode|\.fromCodePoint|\.apply)\((?:[^(){}[\]]*,\s*)?\.\.\./;

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory) { for (const f of await tsFiles(`${path}/`)) out.push(f); }
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

Deno.test("lib/ spreads no array into Math.max/min, push, unshift, splice or fromCharCode", async () => {
  const offending: string[] = [];
  for (const file of await tsFiles(LIB)) {
    const lines = (await Deno.readTextFile(file)).split("\n");
    lines.forEach((line, i) => {
      const code = line.trimStart();
      if (code.startsWith("//") || code.startsWith("*")) return;
      if (SPREAD_CALL.test(code.replace(/\/\/.*$/, ""))) {
        offending.push(`${file.slice(LIB.length)}:${i + 1}: ${code}`);
      }
    });
  }
  assertEquals(offending, []);
});
