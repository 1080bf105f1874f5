/**
 * The architecture table: every Hugging Face layout loradrop loads is one descriptor row, keyed by
 * `config.json`'s `model_type` — its config keys, safetensors module names, classification head,
 * tokenizer layout and PEFT names (see `descriptor.ts`). `parseHfConfig`, `loadHfModel`, the
 * adapter IO and the tokenizers read this table, so a new layout is one
 * {@linkcode registerArchitecture} call (ARCHITECTURE.md, "Adding a layout").
 *
 * @module
 */
import { MODULE_NAMES } from "../../models/drop_context.ts";
import { createTable } from "../../_table.ts";
import { orList } from "../../_or_list.ts";
import type {
  AdapterLayout,
  Architecture,
  DecoderArchitecture,
  EncoderArchitecture,
  WeightNames,
} from "./descriptor.ts";
import { BERT } from "./bert.ts";
import { ROBERTA } from "./roberta.ts";
import { GPT2 } from "./gpt2.ts";
import { USE_LITE_ADAPTER_LAYOUT } from "./use_lite.ts";

export type * from "./descriptor.ts";

/**
 * The built-in rows, in table order (the names' types derive from them).
 *
 * @example
 * ```ts
 * import { BUILT_IN_ARCHITECTURES } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * assertEquals(BUILT_IN_ARCHITECTURES.map((row) => row.kind), ["encoder", "encoder", "decoder"]);
 * ```
 */
export const BUILT_IN_ARCHITECTURES: readonly [
  EncoderArchitecture<"bert">,
  EncoderArchitecture<"roberta">,
  DecoderArchitecture<"gpt2">,
] = [BERT, ROBERTA, GPT2];

/** The built-in layouts' `model_type`s. */
export type BuiltInModelType = (typeof BUILT_IN_ARCHITECTURES)[number]["modelType"];

/** A `model_type` of the table: a built-in one or one registered with {@linkcode registerArchitecture}. */
export type HfModelType = BuiltInModelType | (string & Record<never, never>);

/** The built-in encoders' `model_type`s (`bert`, `roberta`). */
export type BuiltInEncoderType = Extract<
  (typeof BUILT_IN_ARCHITECTURES)[number],
  { kind: "encoder" }
>["modelType"];

/** An encoder's `model_type`: a built-in one or a registered one. */
export type HfEncoderType = BuiltInEncoderType | (string & Record<never, never>);

/** A decoder's `model_type`: `gpt2` or a registered one. */
export type HfDecoderType =
  | Extract<(typeof BUILT_IN_ARCHITECTURES)[number], { kind: "decoder" }>["modelType"]
  | (string & Record<never, never>);

/** The bases an adapter can be saved for: a table row, or `use-lite` (BERT's key layout). */
export type AdapterModelType = HfModelType | "use-lite";

const TABLE = createTable<Architecture>(
  "model architecture",
  "modelType",
  checkRow,
  BUILT_IN_ARCHITECTURES,
);

/**
 * Every `model_type` in the table, in registration order (the built-ins first). The array is the
 * table's own: it grows and shrinks with {@linkcode registerArchitecture} and
 * {@linkcode unregisterArchitecture}.
 *
 * @example
 * ```ts
 * import { HF_MODEL_TYPES } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * assertEquals(HF_MODEL_TYPES.slice(0, 3), ["bert", "roberta", "gpt2"]);
 * ```
 */
export const HF_MODEL_TYPES: readonly HfModelType[] = TABLE.names;

/**
 * Adds a layout to the table. From then on `parseHfConfig` reads its `config.json`,
 * `loadHfModel` its checkpoints, the adapter IO its PEFT adapters and heads, and the tokenizers
 * its post-processor.
 *
 * @param row The layout's descriptor.
 * @returns The row.
 * @example
 * ```ts
 * import { architectureRow, registerArchitecture, unregisterArchitecture } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * const bert = architectureRow("bert");
 * if (bert?.kind !== "encoder") throw new Error("expected an encoder");
 * registerArchitecture({ ...bert, modelType: "bert-copy", title: "BERT copy" });
 * assertEquals(architectureRow("bert-copy")?.weights.layer, "encoder.layer.{i}");
 * unregisterArchitecture("bert-copy");
 * ```
 */
export function registerArchitecture<Name extends string>(
  row: Architecture<Name>,
): Architecture<Name> {
  return TABLE.register(row) as Architecture<Name>;
}

/**
 * Removes a registered layout (the built-ins stay).
 *
 * @param modelType The layout's `model_type`.
 * @example
 * ```ts
 * import { unregisterArchitecture } from "@loradrop/core/io";
 * import { assertThrows } from "@std/assert";
 * assertThrows(() => unregisterArchitecture("bert"), TypeError, "built-in");
 * ```
 */
export function unregisterArchitecture(modelType: string): void {
  TABLE.unregister(modelType);
}

/**
 * The descriptor of a `model_type`, or undefined when the table has none.
 *
 * @param modelType The `model_type`.
 * @returns The row.
 * @example
 * ```ts
 * import { architectureRow } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * assertEquals(architectureRow("gpt2")?.kind, "decoder");
 * assertEquals(architectureRow("llama"), undefined);
 * ```
 */
export function architectureRow(modelType: string): Architecture | undefined {
  return TABLE.get(modelType);
}

/**
 * The encoder descriptor of a `model_type`; a decoder or unknown one is a TypeError naming it.
 *
 * @param modelType The `model_type`.
 * @param what The caller, for the message (e.g. "build the classification head").
 * @returns The row.
 * @example
 * ```ts
 * import { encoderArchitecture } from "@loradrop/core/io";
 * import { assertEquals, assertThrows } from "@std/assert";
 * assertEquals(encoderArchitecture("roberta", "load").head.pooling, "first");
 * assertThrows(() => encoderArchitecture("gpt2", "load"), TypeError, "bert or roberta");
 * ```
 */
export function encoderArchitecture(modelType: string, what: string): EncoderArchitecture {
  const row = TABLE.get(modelType);
  if (row?.kind !== "encoder") {
    throw new TypeError(
      `Cannot ${what}: the model_type must be an encoder's, ${
        orList(encoderModelTypes())
      }, received "${modelType}"`,
    );
  }
  return row;
}

/**
 * The encoders' `model_type`s in table order.
 *
 * @returns The names.
 * @example
 * ```ts
 * import { encoderModelTypes } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * assertEquals(encoderModelTypes().slice(0, 2), ["bert", "roberta"]);
 * ```
 */
export function encoderModelTypes(): HfEncoderType[] {
  return HF_MODEL_TYPES.filter((name) => TABLE.get(name)!.kind === "encoder");
}

/**
 * The adapter layout of a base: a table row, or USE-lite's; undefined for an unknown name.
 *
 * @param modelType `use-lite` or a `model_type` of the table.
 * @returns The layout.
 * @example
 * ```ts
 * import { adapterLayout } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * assertEquals(adapterLayout("use-lite")?.weights.taskPrefix, "");
 * assertEquals(adapterLayout("roberta")?.weights.taskPrefix, "roberta.");
 * assertEquals(adapterLayout("t5"), undefined);
 * ```
 */
export function adapterLayout(modelType: string): AdapterLayout | undefined {
  return modelType === USE_LITE_ADAPTER_LAYOUT.modelType
    ? USE_LITE_ADAPTER_LAYOUT
    : TABLE.get(modelType);
}

/**
 * The first row whose tokenizer has the post-processor type `type`, or undefined.
 *
 * @param type A tokenizer.json `post_processor.type`.
 * @returns The row.
 * @example
 * ```ts
 * import { architectureOfPostProcessor } from "@loradrop/core/io";
 * import { assertEquals } from "@std/assert";
 * assertEquals(architectureOfPostProcessor("RobertaProcessing")?.modelType, "roberta");
 * ```
 */
export function architectureOfPostProcessor(type: unknown): Architecture | undefined {
  for (const name of HF_MODEL_TYPES) {
    const row = TABLE.get(name)!;
    if (row.tokenizer.postProcessor === type) return row;
  }
  return undefined;
}

/**
 * The path of layer `index` (the layout's `layer` with `{i}` replaced).
 *
 * @param weights The layout's names.
 * @param index The layer's index.
 * @returns The path, e.g. `encoder.layer.3`.
 * @example
 * ```ts
 * import { BERT } from "./bert.ts";
 * import { layerPath } from "./table.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(layerPath(BERT.weights, 3), "encoder.layer.3");
 * ```
 */
export function layerPath(weights: Pick<WeightNames, "layer">, index: number): string {
  return weights.layer.replace("{i}", String(index));
}

/** The checks a row passes beyond its `model_type`. */
function checkRow(row: Architecture): void {
  const bad = (what: string): never => {
    throw new TypeError(`Cannot register model architecture "${row.modelType}": ${what}`);
  };
  if (row.kind !== "encoder" && row.kind !== "decoder") {
    bad(
      `kind must be "encoder" or "decoder", received ${
        JSON.stringify((row as { kind: unknown }).kind)
      }`,
    );
  }
  const w = row.weights;
  if (typeof w?.layer !== "string" || !w.layer.includes("{i}")) {
    bad(`weights.layer must contain {i}, received ${JSON.stringify(w?.layer)}`);
  }
  if (w.kernelLayout !== "out-in" && w.kernelLayout !== "in-out") {
    bad(`weights.kernelLayout must be "out-in" or "in-out", received "${w.kernelLayout}"`);
  }
  for (const m of MODULE_NAMES) {
    if (typeof w.modules?.[m] !== "string" || w.modules[m] === "") {
      bad(`weights.modules.${m} must be a module path, received ${JSON.stringify(w.modules?.[m])}`);
    }
    if (typeof row.peft?.targetNames?.[m] !== "string") {
      bad(
        `peft.targetNames.${m} must be a name, received ${
          JSON.stringify(row.peft?.targetNames?.[m])
        }`,
      );
    }
  }
  if (typeof row.tokenizer?.postProcessor !== "string") {
    bad(
      `tokenizer.postProcessor must be a string, received ${
        JSON.stringify(row.tokenizer?.postProcessor)
      }`,
    );
  }
  if (row.kind === "decoder") checkDecoder(row, bad);
  else checkEncoder(row, bad);
}

function checkEncoder(row: EncoderArchitecture, bad: (what: string) => never): void {
  const { head, weights } = row;
  if (head?.pooling !== "first" && head?.pooling !== "pooler") {
    bad(`head.pooling must be "first" or "pooler", received ${JSON.stringify(head?.pooling)}`);
  }
  if (head.pooling === "pooler" && (weights.pooler === undefined || head.dense !== undefined)) {
    bad(`a "pooler" head needs weights.pooler and no head.dense`);
  }
  if (head.pooling === "first" && head.dense === undefined) {
    bad(`a "first" head needs head.dense (the trained dense + tanh)`);
  }
  const positions = row.config?.positions;
  if (positions !== "zero" && positions !== "after-padding") {
    bad(
      `config.positions must be "zero" or "after-padding", received ${JSON.stringify(positions)}`,
    );
  }
}

function checkDecoder(row: DecoderArchitecture, bad: (what: string) => never): void {
  const { q, k, v } = row.weights.modules;
  if (q !== k || q !== v) {
    bad(`a decoder's q, k and v must share one fused path, received ${q}, ${k}, ${v}`);
  }
}
