// The preset registry: every name builds a valid plan with the paper's positions and patterns.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { latterHalf, PRESET_NAMES, presetPlan } from "../lib/dropout/presets.ts";
import { dropAt, type DropoutPlan, validatePlan } from "../lib/dropout/spec.ts";

function summary(plan: DropoutPlan): string[] {
  return plan.drops.map((d) => `${d.position}:${d.pattern}`).sort();
}

Deno.test("presetPlan builds a valid plan for every name", () => {
  for (const name of PRESET_NAMES) {
    const plan = presetPlan(name, { rate: 0.1 });
    validatePlan(plan);
    if (name !== "baseline") assert(plan.drops.length > 0, name);
  }
  assertEquals(new Set(PRESET_NAMES).size, PRESET_NAMES.length);
});

Deno.test("presetPlan puts each method at the paper's position and pattern", () => {
  assertEquals(presetPlan("baseline", { rate: 0.1 }), { drops: [] });
  for (const pattern of ["element", "column", "span"]) {
    assertEquals(summary(presetPlan(`dropKey-${pattern}`, { rate: 0.1 })), [
      `attention-logits:${pattern}`,
    ]);
    const da = presetPlan(`dropAttention-${pattern}`, { rate: 0.1 });
    assertEquals(summary(da), [`attention-weights:${pattern}`]);
    assertEquals(da.drops[0]!.noGrad, true);
  }
  for (const pattern of ["element", "column-feature", "column-token", "span"]) {
    assertEquals(summary(presetPlan(`hiddenCut-${pattern}`, { rate: 0.1 })), [
      `hidden:${pattern}`,
    ]);
  }
  assertEquals(presetPlan("hiddenCut-span", { rate: 0.1 }).drops[0]!.spanStart, "attention-top40");
  assertEquals(
    presetPlan("hiddenCut-span", { rate: 0.1, spanStart: "uniform" }).drops[0]!.spanStart,
    "uniform",
  );
  const minus = ["attention-logits:column", "hidden:element"];
  assertEquals(summary(presetPlan("hiddenKey-minus", { rate: 0.1 })), minus);
  assertEquals(presetPlan("hiddenKey-minus", { rate: 0.1 }).consistency, undefined);
  assertEquals(
    summary(presetPlan("hiddenKey-minus+input", { rate: 0.1 })),
    [
      ...minus,
      "embedding:span",
    ].sort(),
  );
  assertEquals(
    summary(presetPlan("hiddenKey-minus+input", { rate: 0.1, inputPattern: "column-token" })),
    [...minus, "embedding:column-token"].sort(),
  );
  assertEquals(
    summary(presetPlan("hiddenKey-minus+output", { rate: 0.1 })),
    [
      ...minus,
      "classifier:element",
    ].sort(),
  );
});

Deno.test("presetPlan sets the consistency loss of the HiddenKey family", () => {
  assertEquals(presetPlan("hiddenKey", { rate: 0.1 }).consistency, {
    kind: "kl",
    weight: 1,
    branches: "one",
  });
  assertEquals(presetPlan("hiddenKey-both", { rate: 0.1, klWeight: 0.5 }).consistency, {
    kind: "kl",
    weight: 0.5,
    branches: "both",
  });
  assertEquals(presetPlan("hiddenKey-minus+js", { rate: 0.1, klWeight: 2 }).consistency, {
    kind: "js",
    weight: 2,
    branches: "one",
  });
  assertThrows(() => presetPlan("hiddenKey", { rate: 0.1, klWeight: -1 }), RangeError, "-1");
});

Deno.test("presetPlan passes the rates through and validates them", () => {
  const plan = presetPlan("hiddenKey-minus+output", {
    rate: 0.1,
    hiddenRate: 0.05,
    extraRate: 0.2,
  });
  assertEquals(dropAt(plan, "attention-logits", 0, 1)?.rate, 0.1);
  assertEquals(dropAt(plan, "hidden", 0, 1)?.rate, 0.05);
  assertEquals(dropAt(plan, "classifier", 0, 1)?.rate, 0.2);
  assertThrows(() => presetPlan("dropKey-column", { rate: 1.5 }), RangeError, "received 1.5");
  // Rate 0 is allowed and resolves to no drop.
  assertEquals(
    dropAt(presetPlan("dropKey-column", { rate: 0 }), "attention-logits", 0, 1),
    undefined,
  );
});

Deno.test("presetPlan rejects unknown names listing the known ones", () => {
  const error = assertThrows(
    () => presetPlan("hiddenkey", { rate: 0.1 }),
    TypeError,
    '"hiddenkey"',
  );
  for (const name of PRESET_NAMES) assert(error.message.includes(name), name);
  assertThrows(
    () => presetPlan("hiddenKey-minus+input", { rate: 0.1, inputPattern: "element" as never }),
    TypeError,
  );
});

Deno.test("latterHalf restricts the per-layer drops to the decoder's latter half", () => {
  assertEquals(latterHalf(24), { start: 12, end: 24 });
  assertEquals(latterHalf(32), { start: 16, end: 32 });
  assertEquals(latterHalf(1), { start: 0, end: 1 });
  assertThrows(() => latterHalf(0), RangeError, "received 0");
  const plan = presetPlan("hiddenKey-minus+output", { rate: 0.1, layers: latterHalf(4) });
  const active = [0, 1, 2, 3].map((l) => dropAt(plan, "attention-logits", l, 4) !== undefined);
  assertEquals(active, [false, false, true, true]);
  assertEquals(dropAt(plan, "hidden", 1, 4), undefined);
  assertEquals(dropAt(plan, "hidden", 2, 4)?.rate, 0.1);
  // Layer-free positions are not restricted.
  assertEquals(dropAt(plan, "classifier", 0, 4)?.rate, 0.1);
});
