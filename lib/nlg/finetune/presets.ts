/**
 * Fine-tuning settings of the NLG track: Table 7's GPT-2 Medium settings (`paper`) and scaled
 * ones for loradrop's small pretrained decoder on 2 cores.
 *
 * @module
 */
import type { GenerationSettings } from "./generate.ts";

/** LoRA LM fine-tuning and decoding settings. */
export interface NlgFinetuneSettings {
  /** The preset's name. */
  readonly name: string;
  /** Peak learning rate (linear warm-up, linear decay). */
  readonly lr: number;
  /** Warm-up steps. */
  readonly warmupSteps: number;
  /** Epochs over the (MR, reference) pairs; or `steps`. */
  readonly epochs?: number;
  /** Total steps (wins over `epochs`). */
  readonly steps?: number;
  /** Pairs per step. */
  readonly batchSize: number;
  /** AdamW weight decay. */
  readonly weightDecay: number;
  /** Label smoothing ε. */
  readonly labelSmoothing: number;
  /** LoRA rank and α on q and v. */
  readonly lora: { readonly r: number; readonly alpha: number };
  /** Beam search at test time. */
  readonly decoding: GenerationSettings;
}

/**
 * `paper`: Table 7 (AdamW, weight decay 0.01, 500 warm-up steps, linear schedule, lr 2e-4,
 * 5 epochs, batch 8, label smoothing 0.1, r = 4, α = 32 on q and v; beam 10, length penalty 0.9,
 * no-repeat 4-grams; generation up to 64 tokens as microsoft/LoRA's E2E script).
 * `scaled`: the same losses, LoRA and decoding rules for the small decoder on 2 cores — a higher
 * learning rate and short warm-up for a few hundred steps, beam 4.
 * `smoke`: a few dozen steps and greedy-width beams, for CI.
 */
export const NLG_FINETUNE_PRESETS: Readonly<
  Record<"paper" | "scaled" | "smoke", NlgFinetuneSettings>
> = {
  paper: {
    name: "paper",
    lr: 2e-4,
    warmupSteps: 500,
    epochs: 5,
    batchSize: 8,
    weightDecay: 0.01,
    labelSmoothing: 0.1,
    lora: { r: 4, alpha: 32 },
    decoding: { numBeams: 10, lengthPenalty: 0.9, noRepeatNgramSize: 4, maxNewTokens: 64 },
  },
  scaled: {
    name: "scaled",
    lr: 2e-3,
    warmupSteps: 30,
    epochs: 2,
    batchSize: 8,
    weightDecay: 0.01,
    labelSmoothing: 0.1,
    lora: { r: 4, alpha: 32 },
    decoding: { numBeams: 4, lengthPenalty: 0.9, noRepeatNgramSize: 4, maxNewTokens: 48 },
  },
  smoke: {
    name: "smoke",
    lr: 3e-3,
    warmupSteps: 5,
    steps: 40,
    batchSize: 8,
    weightDecay: 0.01,
    labelSmoothing: 0.1,
    lora: { r: 4, alpha: 32 },
    decoding: { numBeams: 2, lengthPenalty: 0.9, noRepeatNgramSize: 4, maxNewTokens: 40 },
  },
};
