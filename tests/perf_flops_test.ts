import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { trainingStepFlops } from "../lib/perf/flops.ts";

// Two tiny layers, counted by hand (2 FLOPs per multiply-add, per token unless said otherwise).
const TINY = {
  layers: [
    { inputDim: 2, hiddenDim: 4, numHeads: 1, headDim: 2, ffnDim: 3 },
    { inputDim: 4, hiddenDim: 4, numHeads: 2, headDim: 2, ffnDim: 3 },
  ],
  batch: 2,
  seqLen: 3,
  lora: { r: 1, targets: ["q", "v"] as const },
  numOutputs: 2,
} as const;

Deno.test("trainingStepFlops matches a hand count on a two-layer LoRA q/v model", () => {
  const f = trainingStepFlops(TINY);
  // Layer 0 (inner 2), nothing trainable below:
  //   frozen fwd: q,k,v 3·(2·2·2)=24, residual 2·2·4=16, o 2·2·4=16, FFN 2·4·3+2·3·4=48 -> 104
  //   frozen bwd: no dX for q,k,v,residual; o + FFN -> 64
  //   LoRA q and v (2→1→2): fwd 2·(4+4)=16; bwd per adapter dB 4 + dA 4 + dh 4 = 12 -> 24
  //   core: 2·T·inner = 12 each for scores and values: fwd 24; bwd dQ, dP, dV (no dK) 36
  // Layer 1 (inner 4):
  //   frozen fwd: q,k,v 96, o 32, FFN 48 -> 176; bwd the same 176
  //   LoRA (4→1→4): fwd 2·16=32; bwd 2·(8+8+8+8)=64
  //   core: 24 each: fwd 48, bwd dQ, dK, dP, dV 96
  // Per token fwd 104+24+16+176+48+32 = 400, bwd 64+36+24+176+96+64 = 460; 6 tokens.
  // Head 4→2 per example ·2: fwd 32, bwd dW 32 + dX 32.
  assertEquals(f.forward, 6 * 400 + 32);
  assertEquals(f.backward, 6 * 460 + 64);
  assertEquals(f.total, f.forward + f.backward);
  assertEquals(f.perToken, f.total / 6);
  assertEquals(f.parts, {
    frozen: 6 * (104 + 64 + 176 + 176),
    attention: 6 * (24 + 36 + 48 + 96),
    lora: 6 * (16 + 24 + 32 + 64),
    head: 96,
  });
});

Deno.test("trainingStepFlops adds one forward for a one-branch consistency pass, a step for both", () => {
  const plain = trainingStepFlops(TINY);
  assertEquals(trainingStepFlops({ ...TINY, consistency: "one" }).total, 2 * 2432 + 2824);
  assertEquals(plain.forward, 2432);
  assertEquals(
    trainingStepFlops({ ...TINY, consistency: "both" }).total,
    2 * (plain.forward + plain.backward),
  );
});

Deno.test("trainingStepFlops: a pooler dense is counted per example, not per token", () => {
  const base = trainingStepFlops(TINY);
  const pooled = trainingStepFlops({ ...TINY, pooler: { inputDim: 4, outputDim: 4 } });
  // fwd 2·4·4·2 = 64, bwd dX 64 (adapters below)
  assertEquals(pooled.forward - base.forward, 64);
  assertEquals(pooled.backward - base.backward, 64);
});

Deno.test("trainingStepFlops on USE-lite is near the rule of thumb 4N + 12LTd + 6N_lora per token", () => {
  const layers = [
    { inputDim: 256, hiddenDim: 512, numHeads: 4, headDim: 64, ffnDim: 1536 },
    { inputDim: 512, hiddenDim: 512, numHeads: 4, headDim: 128, ffnDim: 1536 },
  ];
  const f = trainingStepFlops({
    layers,
    batch: 32,
    seqLen: 32,
    lora: { r: 8, targets: ["q", "v"] },
    numOutputs: 2,
  });
  // Frozen matmul parameters N and LoRA parameters of each layer.
  const n0 = 3 * 256 * 256 + 256 * 512 + 256 * 512 + 2 * 512 * 1536;
  const n1 = 3 * 512 * 512 + 512 * 512 + 2 * 512 * 1536;
  const lora = 2 * (256 * 8 + 8 * 256) + 2 * (512 * 8 + 8 * 512);
  const rule = 4 * (n0 + n1) + 12 * 32 * (256 + 512) + 6 * lora;
  // The rule also counts the dX that autodiff skips below the first adapter (layer 0's input).
  const skipped = 2 * (3 * 256 * 256 + 256 * 512) + 2 * 32 * 256 + 2 * 2 * 256 * 8;
  const head = (3 * 2 * 512 * 2) / 32; // fwd, dW, dX of the 512 → 2 head per example, per token
  assertAlmostEquals(f.perToken, rule - skipped + head, 1e-6);
});

Deno.test("trainingStepFlops rejects bad sizes with the value in the message", () => {
  assertThrows(() => trainingStepFlops({ ...TINY, batch: 0 }), RangeError, "batch");
  assertThrows(() => trainingStepFlops({ ...TINY, seqLen: 1.5 }), RangeError, "1.5");
  assertThrows(() => trainingStepFlops({ ...TINY, layers: [] }), RangeError, "layers");
  assertThrows(
    () => trainingStepFlops({ ...TINY, lora: { r: 0, targets: ["q"] } }),
    RangeError,
    "lora.r",
  );
  assertThrows(
    // @ts-expect-error: a wrong consistency value from untyped callers
    () => trainingStepFlops({ ...TINY, consistency: "kl" }),
    TypeError,
    '"kl"',
  );
});
