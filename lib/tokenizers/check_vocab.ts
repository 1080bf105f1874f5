/**
 * Checking that a tokenizer's ids fit a model's embedding table.
 *
 * @module
 */
import type { TextTokenizer } from "./load.ts";

/**
 * Throws when the tokenizer can produce ids the model has no embedding for (its `vocabSize`
 * exceeds the model's). A model may have more rows than the tokenizer has ids (USE-lite: 8,000
 * ids, 8,002 rows; models padded to a multiple of 64).
 *
 * @param tokenizer The tokenizer.
 * @param modelVocabSize The number of rows of the model's token-embedding table.
 * @returns Nothing; throws an Error naming both sizes on a mismatch.
 * @example
 * ```ts
 * import { checkTokenizerMatchesModel } from "@loradrop/core/tokenizers";
 * import { loadUseLiteTokenizer } from "@loradrop/core/tokenizers";
 * import { assertThrows } from "@std/assert";
 * const tokenizer = await loadUseLiteTokenizer();
 * checkTokenizerMatchesModel(tokenizer, 8002);
 * assertThrows(() => checkTokenizerMatchesModel(tokenizer, 5000), Error, "8000");
 * ```
 */
export function checkTokenizerMatchesModel(tokenizer: TextTokenizer, modelVocabSize: number): void {
  if (!Number.isInteger(modelVocabSize) || modelVocabSize < 1) {
    throw new RangeError(
      `Cannot check tokenizer ${tokenizer.name}: model vocabulary size must be a positive integer, received ${modelVocabSize}`,
    );
  }
  if (tokenizer.vocabSize > modelVocabSize) {
    throw new Error(
      `Tokenizer ${tokenizer.name} does not match the model: it produces ids up to ${
        tokenizer.vocabSize - 1
      } ` +
        `(vocabulary size ${tokenizer.vocabSize}) but the model's embedding table has ${modelVocabSize} rows`,
    );
  }
}
