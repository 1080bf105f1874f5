/**
 * The shape of an architecture descriptor: everything that differs between two Hugging Face
 * layouts of the same kind of model — how `config.json` maps onto loradrop's configuration, the
 * safetensors names of every module, the sequence-classification head, the tokenizer's special
 * tokens and PEFT's module names. The loaders, the adapter IO and the tokenizers read these fields
 * and never branch on a `model_type` (the table is `table.ts`; the rows are `bert.ts`,
 * `roberta.ts`, `gpt2.ts`).
 *
 * @module
 */
import type { ModuleName } from "../../models/drop_context.ts";

/** The `config.json` keys of the sizes every layout has (the value is the key's name). */
export interface ConfigKeys {
  /** The vocabulary's size, e.g. `vocab_size`. */
  readonly vocabSize: string;
  /** The model width, e.g. `hidden_size` (BERT), `n_embd` (GPT-2). */
  readonly hiddenDim: string;
  /** The number of blocks, e.g. `num_hidden_layers`, `n_layer`. */
  readonly numLayers: string;
  /** The number of attention heads, e.g. `num_attention_heads`, `n_head`. */
  readonly numHeads: string;
  /** The feed-forward width, e.g. `intermediate_size`, `n_inner`. */
  readonly ffnDim: string;
  /** The length of the position table, e.g. `max_position_embeddings`, `n_positions`. */
  readonly maxPositions: string;
  /** The layer norms' epsilon; absent: the layout always uses `defaults.layerNormEps`. */
  readonly layerNormEps?: string;
  /** The Hugging Face activation name, e.g. `hidden_act`, `activation_function`. */
  readonly activation: string;
}

/**
 * A check of settings the layout's reader does not implement (cross-attention, relative
 * positions, …): the reason a config is not supported, or undefined when it is.
 */
export type ConfigCheck = (json: Readonly<Record<string, unknown>>) => string | undefined;

/** How an encoder's `config.json` maps onto an `EncoderConfig` (post-LN, learned positions). */
export interface EncoderConfigMap {
  /** The keys of the sizes, plus the token-type table's and the padding id's keys. */
  readonly keys: ConfigKeys & {
    /** The token-type table's size; absent: the layout has no token types. */
    readonly typeVocabSize?: string;
    /** The padding id's key, e.g. `pad_token_id`. */
    readonly padTokenId: string;
  };
  /** Values of absent keys. */
  readonly defaults: {
    readonly layerNormEps: number;
    readonly activation: string;
    readonly padTokenId: number;
    readonly typeVocabSize: number;
  };
  /**
   * Where real tokens' positions start: `zero` (BERT), or `after-padding` — at padding id + 1,
   * RoBERTa's numbering, whose table rows below it are never used.
   */
  readonly positions: "zero" | "after-padding";
  /** Settings of a config the encoder does not implement. */
  readonly check?: ConfigCheck;
}

/** How a decoder's `config.json` maps onto a `DecoderConfig` (pre-LN, learned positions). */
export interface DecoderConfigMap {
  /** The keys of the sizes (`ffnDim`'s key may hold null: `ffnPerHidden` × the width). */
  readonly keys: ConfigKeys & {
    /** Whether the LM head reuses the token embeddings, e.g. `tie_word_embeddings`. */
    readonly tiedEmbeddings: string;
  };
  /** Values of absent keys (`ffnPerHidden`: the feed-forward width per unit of model width). */
  readonly defaults: {
    readonly layerNormEps: number;
    readonly activation: string;
    readonly ffnPerHidden: number;
  };
  /** Settings of a config the decoder does not implement. */
  readonly check?: ConfigCheck;
}

/**
 * The safetensors names of a layout's modules (each name without `.weight` / `.bias`). A layer's
 * names are relative to `layer` with `{i}` replaced by the layer's index; every other name is
 * relative to the base model, which a task class nests under `taskPrefix`.
 */
export interface WeightNames {
  /** The prefix of the base model inside a task class (`bert.`, `transformer.`). */
  readonly taskPrefix: string;
  /** How linear weights are stored: torch `Linear` `(out, in)`, or `Conv1D` `(in, out)`. */
  readonly kernelLayout: "out-in" | "in-out";
  /** The token embeddings `(V, D)`. */
  readonly tokenEmbedding: string;
  /** The position embeddings `(P, D)`. */
  readonly positionEmbedding: string;
  /** One layer, `{i}` standing for its index (`encoder.layer.{i}`, `h.{i}`). */
  readonly layer: string;
  /** The path of each LoRA-able module inside a layer; q, k and v may share one fused path. */
  readonly modules: Readonly<Record<ModuleName, string>>;
  /** The layer norm at the attention block (after it: post-LN; before it: pre-LN). */
  readonly attentionNorm: string;
  /** The layer norm at the feed-forward block. */
  readonly ffnNorm: string;
  /** Keys the reader skips (buffers), relative to the base model, e.g. `embeddings\.position_ids`. */
  readonly buffers: readonly RegExp[];
  /** Whole keys of other task classes' heads the reader skips and lists, e.g. `^cls\.`. */
  readonly otherHeads: readonly RegExp[];
}

/** The encoder-only names. */
export interface EncoderWeightNames extends WeightNames {
  /** The token-type embeddings `(types, D)`, when the layout has token types. */
  readonly tokenTypeEmbedding?: string;
  /** The layer norm after the embeddings. */
  readonly embeddingNorm: string;
  /** The pretrained pooler's dense layer (first token → dense → tanh), when the layout has one. */
  readonly pooler?: string;
}

/** The decoder-only names. */
export interface DecoderWeightNames extends WeightNames {
  /** The layer norm after the last block. */
  readonly finalNorm: string;
  /** The LM head's weight `(V, D)` (a whole key, outside the base model), tied or not. */
  readonly lmHead: string;
}

/**
 * Hugging Face's sequence-classification head of a layout, as
 * `AutoModelForSequenceClassification` builds it and PEFT saves it under `modules_to_save`.
 */
export interface HeadNames {
  /** The output layer `(C, D)`, e.g. `classifier` (BERT), `classifier.out_proj` (RoBERTa). */
  readonly out: string;
  /** The trained dense + tanh before it (RoBERTa's `classifier.dense`), if the layout has one. */
  readonly dense?: string;
  /**
   * The task model's pooling that computes it: `first` (the first token, through `dense`) or
   * `pooler` (the checkpoint's frozen pooler); absent: any layout (a loradrop-only base).
   */
  readonly pooling?: "first" | "pooler";
  /** The head in words, for messages, e.g. `bert.pooler then classifier`. */
  readonly describe: string;
}

/**
 * The special tokens a layout's tokenizer puts around one text (`cls A sep`) or a pair, as its
 * tokenizer.json post-processor of type `postProcessor` does.
 */
export interface TokenizerLayoutNames {
  /** The post-processor's `type` in tokenizer.json, e.g. `BertProcessing`, `ByteLevel`. */
  readonly postProcessor: string;
  /** With `cls` and `sep` tokens: how many `sep` go between a pair's texts, and B's token type. */
  readonly clsSep?: {
    /** `sep` tokens between the two texts: 1 (BERT), 2 (RoBERTa). */
    readonly pairSeparators: number;
    /** The token type of the second text and its closing `sep`: 1 (BERT), 0 (RoBERTa). */
    readonly secondTypeId: number;
  };
}

/** PEFT's names of a layout's modules. */
export interface PeftNames {
  /**
   * The `target_modules` entry of each module: a suffix of its path (`query`,
   * `attention.output.dense`). A suffix that also ends another module's path is written as a regex.
   */
  readonly targetNames: Readonly<Record<ModuleName, string>>;
}

/** The descriptor fields every layout has. */
export interface ArchitectureBase<Name extends string = string> {
  /** The `model_type` of `config.json` (the table's key). */
  readonly modelType: Name;
  /** The layout's name in messages, e.g. `RoBERTa`. */
  readonly title: string;
  /** The tokenizer's special tokens. */
  readonly tokenizer: TokenizerLayoutNames;
  /** PEFT's module names. */
  readonly peft: PeftNames;
}

/** An encoder layout (BERT, RoBERTa): an `EncoderConfig` and a classification head. */
export interface EncoderArchitecture<Name extends string = string> extends ArchitectureBase<Name> {
  /** `encoder`. */
  readonly kind: "encoder";
  /** `config.json` → `EncoderConfig`. */
  readonly config: EncoderConfigMap;
  /** The safetensors names. */
  readonly weights: EncoderWeightNames;
  /** The sequence-classification head. */
  readonly head: HeadNames;
}

/** A decoder layout (GPT-2): a `DecoderConfig`; q, k and v share one fused projection. */
export interface DecoderArchitecture<Name extends string = string> extends ArchitectureBase<Name> {
  /** `decoder`. */
  readonly kind: "decoder";
  /** `config.json` → `DecoderConfig`. */
  readonly config: DecoderConfigMap;
  /** The safetensors names. */
  readonly weights: DecoderWeightNames;
}

/** One row of the architecture table. */
export type Architecture<Name extends string = string> =
  | EncoderArchitecture<Name>
  | DecoderArchitecture<Name>;

/**
 * What the adapter IO reads of a base: its kind, key layout, head and PEFT names. Every
 * architecture row is one; so is USE-lite's (`use_lite.ts`), which has no `config.json`.
 */
export interface AdapterLayout {
  /** The base's name (`bert`, …, `use-lite`). */
  readonly modelType: string;
  /** The layout's name in messages. */
  readonly title: string;
  /** `encoder` or `decoder`. */
  readonly kind: "encoder" | "decoder";
  /** The key layout: task prefix, kernel layout, layer and module paths. */
  readonly weights: Pick<WeightNames, "taskPrefix" | "kernelLayout" | "layer" | "modules">;
  /** The classification head, for encoders. */
  readonly head?: HeadNames;
  /** PEFT's module names. */
  readonly peft: PeftNames;
}
