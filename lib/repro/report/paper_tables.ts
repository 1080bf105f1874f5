/**
 * The paper's published numbers (Wang et al., Findings of ACL 2024, Tables 1-5 and 8), kept as data
 * so that every reproduced table can stand next to them. These are quotations, never results.
 *
 * @module
 */

/** One row of the paper's Table 1 (RoBERTa-large, median of 5 seeds; STS-B is Pearson × 100). */
export interface PaperTable1Row {
  /** The loradrop preset the row corresponds to. */
  readonly preset: string;
  /** The row's label in the paper. */
  readonly label: string;
  /** RTE, MRPC, STS-B, SST-2 scores. */
  readonly scores: {
    readonly rte: number;
    readonly mrpc: number;
    readonly stsb: number;
    readonly sst2: number;
  };
  /** The printed average. */
  readonly avg: number;
}

/**
 * Table 1 of the paper. The bottom block (+ input, + output) is reconstructed from a scrambled
 * extraction; its printed averages disagree with its cells.
 *
 * @example
 * ```ts
 * import { PAPER_TABLE1 } from "@loradrop/core/repro";
 * import { assertEquals } from "@std/assert";
 * assertEquals(PAPER_TABLE1.find((r) => r.preset === "hiddenKey")?.avg, 92.01);
 * ```
 */
export const PAPER_TABLE1: readonly PaperTable1Row[] = [
  {
    preset: "baseline",
    label: "Baseline (LoRA, no dropout)",
    scores: { rte: 84.48, mrpc: 89.95, stsb: 91.96, sst2: 95.99 },
    avg: 90.60,
  },
  {
    preset: "hiddenCut-element",
    label: "HiddenCut element",
    scores: { rte: 87.00, mrpc: 90.69, stsb: 91.94, sst2: 96.10 },
    avg: 91.43,
  },
  {
    preset: "hiddenCut-column-token",
    label: "HiddenCut column (read as whole tokens)",
    scores: { rte: 86.64, mrpc: 90.20, stsb: 91.96, sst2: 96.22 },
    avg: 91.26,
  },
  {
    preset: "hiddenCut-span",
    label: "HiddenCut span",
    scores: { rte: 86.64, mrpc: 90.69, stsb: 92.05, sst2: 96.10 },
    avg: 91.37,
  },
  {
    preset: "dropKey-element",
    label: "DropKey element",
    scores: { rte: 87.00, mrpc: 90.93, stsb: 92.21, sst2: 96.22 },
    avg: 91.59,
  },
  {
    preset: "dropKey-column",
    label: "DropKey column",
    scores: { rte: 87.36, mrpc: 90.93, stsb: 92.25, sst2: 96.22 },
    avg: 91.69,
  },
  {
    preset: "dropKey-span",
    label: "DropKey span",
    scores: { rte: 86.28, mrpc: 90.69, stsb: 92.21, sst2: 96.22 },
    avg: 91.35,
  },
  {
    preset: "dropAttention-element",
    label: "DropAttention element",
    scores: { rte: 85.56, mrpc: 90.20, stsb: 92.03, sst2: 95.76 },
    avg: 90.89,
  },
  {
    preset: "dropAttention-column",
    label: "DropAttention column",
    scores: { rte: 85.56, mrpc: 90.20, stsb: 92.11, sst2: 95.87 },
    avg: 90.94,
  },
  {
    preset: "dropAttention-span",
    label: "DropAttention span",
    scores: { rte: 86.28, mrpc: 89.95, stsb: 92.21, sst2: 96.10 },
    avg: 91.14,
  },
  {
    preset: "hiddenKey-minus",
    label: "HiddenKey⁻",
    scores: { rte: 87.70, mrpc: 90.90, stsb: 92.28, sst2: 96.22 },
    avg: 91.78,
  },
  {
    preset: "hiddenKey",
    label: "HiddenKey (HiddenKey⁻ + KL)",
    scores: { rte: 88.10, mrpc: 91.20, stsb: 92.30, sst2: 96.44 },
    avg: 92.01,
  },
  {
    preset: "hiddenKey-minus+js",
    label: "HiddenKey⁻ + JS",
    scores: { rte: 87.70, mrpc: 90.90, stsb: 92.24, sst2: 96.22 },
    avg: 91.77,
  },
  {
    preset: "hiddenKey-minus+input",
    label: "HiddenKey⁻ + input (Cutoff)",
    scores: { rte: 88.50, mrpc: 90.70, stsb: 92.11, sst2: 96.33 },
    avg: 91.16,
  },
  {
    preset: "hiddenKey-minus+output",
    label: "HiddenKey⁻ + output dropout",
    scores: { rte: 87.70, mrpc: 90.70, stsb: 92.19, sst2: 96.22 },
    avg: 90.95,
  },
];

/** Table 8: p-values of HiddenKey against alternatives (test not named by the paper). */
export const PAPER_TABLE8: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  "RoBERTa (GLUE)": {
    baseline: 0.080,
    "dropKey-column": 0.059,
    "hiddenCut-element": 0.024,
    "hiddenKey-minus": 0.031,
  },
  "GPT-2 (E2E)": {
    baseline: 0.044,
    "dropKey-column": 0.052,
    "hiddenCut-element": 0.041,
    "hiddenKey-minus": 0.043,
  },
};

/** The paper's claims, numbered as in `docs/claims.md` (each gets a verdict, possibly "not testable here"). */
export const PAPER_CLAIMS: Readonly<Record<number, string>> = {
  1: "LoRA without dropout overfits: the dev metric first rises, then falls as the rank grows.",
  2: "DropKey and DropAttention with normalised rescaling give identical attention weights; with 1/(1−p) they do not.",
  3: "With NoGrad, DropAttention's gradient differs from DropKey's by the factor k < 1 and reaches dropped logits; without NoGrad they are equal.",
  4: "Every transformer-specific dropout beats the no-dropout baseline; DropKey > HiddenCut > DropAttention.",
  5: "The best pattern for DropKey is column.",
  6: "The best pattern for HiddenCut is element.",
  7: "DropAttention degrades faster than DropKey as the rate grows.",
  8: "HiddenKey⁻ beats column DropKey and element HiddenCut alone.",
  9: "Adding bidirectional KL to HiddenKey⁻ improves every dataset; adding JS does not change the average.",
  10: "HiddenKey beats the LoRA baseline on average.",
  11: "Adding input Cutoff or output dropout to HiddenKey⁻ gives no consistent gain.",
  12: "On CoLA and QNLI (RoBERTa-large), HiddenKey improves on the baseline.",
  13: "On E2E with GPT2-Medium, HiddenKey beats the baseline and its parts on all five metrics.",
  14: "On WebNLG with GPT2-Medium, HiddenKey is best in most category × metric cells.",
  15: "With LLaMA2-7B, HiddenKey improves over the LoRA baseline on RTE, MRPC and E2E.",
  16: "HiddenKey (with KL) costs about 1.5× the baseline's training time; HiddenKey⁻ about 1×.",
};
