// The special tokens a tokenizer.json's post-processor puts around one text or a pair of texts,
// read from its configuration so that loradrop can truncate the texts first and add the special
// tokens afterwards (transformers.js truncates the finished sequence, which can cut off [SEP] or a
// whole second segment). Where a cls/sep post-processor puts its tokens is the tokenizer layout of
// the architecture whose descriptor names that post-processor (lib/io/architectures/).
import {
  architectureOfPostProcessor,
  type TokenizerLayoutNames,
} from "../io/architectures/table.ts";

/** One special token: its id and its token type (segment) id. */
export interface SpecialPiece {
  /** The token id. */
  readonly id: number;
  /** The token type (segment) id. */
  readonly typeId: number;
}

/** Where special tokens go around the texts of one example. */
export interface SpecialTokenLayout {
  /** `before A after`; `typeId` is the token type of A's tokens. */
  readonly single: {
    readonly before: readonly SpecialPiece[];
    readonly after: readonly SpecialPiece[];
    readonly typeId: number;
  };
  /** `before A middle B after`. */
  readonly pair: {
    readonly before: readonly SpecialPiece[];
    readonly middle: readonly SpecialPiece[];
    readonly after: readonly SpecialPiece[];
    readonly typeIdA: number;
    readonly typeIdB: number;
  };
  /** Whether the post-processor itself defines token type ids (Template/Bert/Roberta). */
  readonly definesTypeIds: boolean;
}

type Json = Record<string, unknown>;

const NO_SPECIALS: SpecialTokenLayout = {
  single: { before: [], after: [], typeId: 0 },
  pair: { before: [], middle: [], after: [], typeIdA: 0, typeIdB: 1 },
  definesTypeIds: false,
};

function tokenId(entry: unknown, what: string): number {
  // BertProcessing / RobertaProcessing store ["[SEP]", 102]
  if (Array.isArray(entry) && typeof entry[1] === "number") return entry[1];
  throw new TypeError(
    `Cannot read ${what} of the post-processor: expected [token, id], received ${
      JSON.stringify(entry)
    }`,
  );
}

/** `cls A sep` and `cls A sep… B sep` with the layout's separators and second token type. */
function clsSepLayout(
  config: Json,
  layout: NonNullable<TokenizerLayoutNames["clsSep"]>,
): SpecialTokenLayout {
  const cls = tokenId(config.cls, "cls");
  const sep = tokenId(config.sep, "sep");
  // As Hugging Face's tokenizers (Rust): BERT gives the second text and its [SEP] type 1;
  // RoBERTa gives every token type 0 (its type-embedding table has one row).
  const b = layout.secondTypeId;
  return {
    single: { before: [{ id: cls, typeId: 0 }], after: [{ id: sep, typeId: 0 }], typeId: 0 },
    pair: {
      before: [{ id: cls, typeId: 0 }],
      middle: Array.from({ length: layout.pairSeparators }, () => ({ id: sep, typeId: 0 })),
      after: [{ id: sep, typeId: b }],
      typeIdA: 0,
      typeIdB: b,
    },
    definesTypeIds: true,
  };
}

function template(config: Json): SpecialTokenLayout {
  const specials = (config.special_tokens ?? {}) as Record<string, { ids?: unknown }>;
  const expand = (item: Json): SpecialPiece[] => {
    const special = item.SpecialToken as { id: string; type_id?: number };
    const ids = specials[special.id]?.ids;
    if (!Array.isArray(ids) || ids.some((x) => typeof x !== "number")) {
      throw new TypeError(
        `Cannot read the template post-processor: special token "${special.id}" has no ids`,
      );
    }
    return (ids as number[]).map((id) => ({ id, typeId: special.type_id ?? 0 }));
  };
  const split = (items: Json[], sequences: readonly string[]) => {
    const parts: SpecialPiece[][] = [[]];
    const typeIds: Record<string, number> = {};
    for (const item of items) {
      if ("Sequence" in item) {
        const seq = item.Sequence as { id: string; type_id?: number };
        typeIds[seq.id] = seq.type_id ?? 0;
        parts.push([]);
      } else if ("SpecialToken" in item) {
        for (const piece of expand(item)) parts[parts.length - 1]!.push(piece);
      }
    }
    const order = Object.keys(typeIds);
    if (order.join() !== sequences.join()) {
      throw new TypeError(
        `Cannot read the template post-processor: expected sequences ${sequences.join(", ")} in ` +
          `order, received ${order.join(", ") || "none"}`,
      );
    }
    return { parts, typeIds };
  };
  const single = split((config.single ?? []) as Json[], ["A"]);
  const pair = split((config.pair ?? []) as Json[], ["A", "B"]);
  return {
    single: { before: single.parts[0]!, after: single.parts[1]!, typeId: single.typeIds.A! },
    pair: {
      before: pair.parts[0]!,
      middle: pair.parts[1]!,
      after: pair.parts[2]!,
      typeIdA: pair.typeIds.A!,
      typeIdB: pair.typeIds.B!,
    },
    definesTypeIds: true,
  };
}

/**
 * Reads the special-token layout from a tokenizer.json `post_processor` entry (null,
 * TemplateProcessing, a Sequence, or the post-processor of an architecture's tokenizer layout:
 * ByteLevel, BertProcessing, RobertaProcessing, …).
 */
export function specialTokenLayout(postProcessor: unknown): SpecialTokenLayout {
  if (postProcessor === null || postProcessor === undefined) return NO_SPECIALS;
  const config = postProcessor as Json;
  const layout = architectureOfPostProcessor(config.type)?.tokenizer;
  if (layout !== undefined) {
    return layout.clsSep === undefined ? NO_SPECIALS : clsSepLayout(config, layout.clsSep);
  }
  switch (config.type) {
    case "TemplateProcessing":
      return template(config);
    case "Sequence": {
      const layouts = ((config.processors ?? []) as unknown[]).map(specialTokenLayout)
        .filter((l) => l !== NO_SPECIALS);
      if (layouts.length > 1) {
        throw new TypeError(
          "Cannot read the post-processor: more than one step adds special tokens",
        );
      }
      return layouts[0] ?? NO_SPECIALS;
    }
    default:
      throw new TypeError(
        `Cannot read the post-processor: unsupported type ${JSON.stringify(config.type)}`,
      );
  }
}
