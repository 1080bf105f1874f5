/**
 * A worker process of `deno task repro --jobs N`: loads the model once, then takes runs from the
 * parent over stdin (one JSON line each) and answers on stdout when each is stored.
 * Protocol: worker → `{"ready":true}`; parent → `{"run":{spec,hash}}` or `{"stop":true}`;
 * worker → `{"finished":hash}`, `{"failed":hash,"error":…}` or `{"busy":hash,"error":…}` (another
 * process holds the run's lock).
 * The parent's `--glue` and `--cache` (paper preset) arrive as `LORADROP_GLUE_DIR` and
 * `LORADROP_CACHE` in the inherited environment, or as the same flags here.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { initBackend, parseBackendName } from "../lib/backend.ts";
import { executeRun, loadRunResources, type RunResources } from "../lib/repro/run/execute.ts";
import type { PlannedRun } from "../lib/repro/run/scheduler.ts";
import { RunLockedError } from "../lib/repro/run/run_lock.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    // Not --dir: tfjs-node's loader (node-pre-gyp) reads process.argv and takes --dir for its own
    // --directory, looking for its package.json below it.
    results: { type: "string" },
    backend: { type: "string", default: "wasm" },
    glue: { type: "string" },
    cache: { type: "string" },
  },
});
if (!values.results) {
  throw new TypeError("Cannot start a repro worker: --results is required");
}
const backend = parseBackendName(values.backend ?? "wasm");
await initBackend({ backend });
const encoder = new TextEncoder();
const say = (msg: unknown) => Deno.stdout.write(encoder.encode(JSON.stringify(msg) + "\n"));
const glueDir = values.glue ?? (Deno.env.get("LORADROP_GLUE_DIR") || undefined);
const cacheDir = values.cache ?? (Deno.env.get("LORADROP_CACHE") || undefined);
const resources = new Map<string, RunResources>();
type Message = { run?: PlannedRun; stop?: boolean };
const inbox: Message[] = [];
let wake: (() => void) | undefined;
// The parent's messages are read all the time, not only between runs: when its end of the pipe
// closes without a stop (the parent exited or was killed, even with -9), this worker ends at
// once, mid-run included. The run's finished steps are in its checkpoint, and its lock goes with
// the process, so a later repro resumes it; nothing keeps writing behind the parent's back.
(async () => {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of Deno.stdin.readable) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const msg = JSON.parse(line) as Message;
      if (msg.stop) Deno.exit(0);
      inbox.push(msg);
      wake?.();
    }
  }
  console.error(`repro worker ${Deno.pid}: the parent process has gone; stopping`);
  Deno.exit(1);
})();
const nextMessage = async (): Promise<Message> => {
  while (inbox.length === 0) await new Promise<void>((resolve) => wake = resolve);
  return inbox.shift()!;
};
// Training steps are synchronous: a turn of the event loop after each lets the reader above see
// the pipe close.
const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

await say({ ready: true });
for (;;) {
  const msg = await nextMessage();
  if (!msg.run) continue;
  const { spec, hash } = msg.run;
  try {
    if (!resources.has(spec.model)) {
      resources.set(
        spec.model,
        await loadRunResources(spec.model, cacheDir === undefined ? {} : { cacheDir }),
      );
    }
    await executeRun(spec, resources.get(spec.model)!, {
      dir: values.results,
      backend,
      progress: false,
      onStep: yieldToEventLoop,
      ...(glueDir === undefined ? {} : { glueDir }),
    });
    await say({ finished: hash });
  } catch (error) {
    if (error instanceof RunLockedError) await say({ busy: hash, error: error.message });
    else await say({ failed: hash, error: (error as Error).stack ?? String(error) });
  }
}
