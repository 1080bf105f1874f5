// The linear-time target_modules matcher against Python's re.fullmatch (goldens from
// tests/golden/make_target_regex_goldens.py), and on patterns that make backtracking explode.
import { assert, assertEquals, assertFalse, assertThrows } from "@std/assert";
import { compileTargetRegex } from "../lib/io/adapter_target_regex.ts";

const GOLDEN = new URL("./golden/target_regex.json", import.meta.url);

Deno.test("compileTargetRegex selects the names Python's re.fullmatch selects", async () => {
  const golden = JSON.parse(await Deno.readTextFile(GOLDEN)) as {
    names: string[];
    cases: { pattern: string; matches: string[] }[];
  };
  assert(golden.cases.length > 20);
  for (const { pattern, matches } of golden.cases) {
    const re = compileTargetRegex(pattern);
    assertEquals(golden.names.filter((n) => re.fullMatch(n)), matches, pattern);
  }
});

Deno.test("compileTargetRegex answers catastrophic patterns at once", () => {
  const name = "roberta.encoder.layer.0.attention.self.query".repeat(20); // 900 characters
  for (const pattern of ["(.*.*.*)*X", "(a*)*b", "(.*)*(.*)*(.*)*query!", "((x|x)*)*y"]) {
    const start = performance.now();
    assertFalse(compileTargetRegex(pattern).fullMatch(name), pattern);
    assertFalse(compileTargetRegex(pattern).fullMatch("a".repeat(2000)), pattern);
    // Generous for a shared machine; a backtracking engine takes years here.
    assert(performance.now() - start < 2000, `${pattern}: ${performance.now() - start} ms`);
  }
  assert(compileTargetRegex("(.*.*.*)*query").fullMatch(name));
});

Deno.test("compileTargetRegex rejects syntax it does not support, naming it", () => {
  const cases: [string, string][] = [
    ["(?<=self\\.)query", "a look-around at offset 0"],
    ["(?!key).*", "a look-around at offset 0"],
    ["(q)(?P=q)", "a back-reference at offset 3"],
    ["\\Aquery", 'the escape "\\A" at offset 0'],
    ["a*+", "a possessive quantifier at offset 2"],
    ["a**", "multiple repeat at offset 2"],
    ["*a", "nothing to repeat at offset 0"],
    ["a)", 'unbalanced ")" at offset 1'],
    ["[a-", "unterminated class at offset 0"],
    ["[z-a]", "bad character range at offset 1"],
    ["a{3,1}", "min repeat greater than max repeat at offset 1"],
    ["query^", '"^" away from the start at offset 5'],
    ["$query", '"$" away from the end at offset 0'],
  ];
  for (const [pattern, message] of cases) {
    assertThrows(() => compileTargetRegex(pattern), SyntaxError, message);
  }
  assertThrows(() => compileTargetRegex("(a{1000}){1000}"), RangeError, "more than 20000 states");
});
