/**
 * `deno task pretrain [--preset smoke|default] [--backend wasm|cpu|…] [--force]`: pretrains
 * loradrop's small decoder on the npm corpus (or reuses the cached one) and prints its folder
 * and validation perplexity. Rerunning after a kill resumes from the last checkpoint.
 *
 * @module
 */
import { BACKEND_NAMES, initBackend } from "../lib/backend.ts";
import { PRETRAIN_PRESETS, pretrainDecoder } from "../lib/nlg/pretrain/mod.ts";
import * as tf from "@tensorflow/tfjs-core";
import { choiceFlag, defineCommand, runCommand } from "./_args.ts";
import { emitJson, say } from "./_output.ts";

/** The command line of `deno task pretrain`. */
export const PRETRAIN_COMMAND = defineCommand({
  command: "deno task pretrain",
  usage: `Usage: deno task pretrain [--preset ${
    Object.keys(PRETRAIN_PRESETS).join("|")
  }] [--backend ${BACKEND_NAMES.join("|")}] [--force]
  --preset P    default (the NLG track's decoder) or smoke (seconds, for CI)
  --backend B   default wasm
  --force       pretrain again even if the cache holds a finished decoder
Prints the decoder's folder and validation perplexity as JSON on stdout.`,
  flags: { preset: "string", backend: "string", force: "boolean" },
});

/**
 * Runs the command line.
 *
 * @param args The arguments.
 * @returns The exit code.
 */
export function main(args: readonly string[]): Promise<number> {
  return runCommand(PRETRAIN_COMMAND, args, async ({ values }) => {
    const preset = choiceFlag(
      "preset",
      values.preset ?? "default",
      Object.keys(PRETRAIN_PRESETS) as (keyof typeof PRETRAIN_PRESETS)[],
    );
    const backend = choiceFlag("backend", values.backend ?? "wasm", BACKEND_NAMES);
    await initBackend({ backend });
    const result = await pretrainDecoder({ preset, force: values.force, log: say });
    const info = result.info;
    say(`decoder: ${result.dir} (${result.status})`);
    if (info !== undefined) {
      say(
        `validation perplexity ${
          info.validationPerplexity.toFixed(2)
        } after ${info.loss.length} steps; ` +
          `${info.tokensPerSecond.toFixed(0)} tokens/s on ${info.backend}`,
      );
    }
    emitJson({
      decoder: result.dir,
      status: result.status,
      ...(info === undefined ? {} : {
        validationPerplexity: info.validationPerplexity,
        steps: info.loss.length,
        tokensPerSecond: info.tokensPerSecond,
        backend: info.backend,
      }),
    });
    tf.dispose(result.model.weights as unknown as tf.TensorContainer);
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
