import { assert, assertEquals, assertRejects } from "@std/assert";
import { hubCachePath, hubFile, HubFileNotFoundError } from "../lib/io/hub.ts";

const FIXTURES = new URL("./fixtures/hf/", import.meta.url).pathname;

/** Serves tests/fixtures/hf/{name}/{file} as /{owner}/{name}/resolve/{rev}/{file}, counting requests. */
function serveFixtures(overrides: Record<string, Uint8Array<ArrayBuffer>> = {}) {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    requests.push(path);
    const m = path.match(/^\/tiny\/([a-z0-9_]+)\/resolve\/([^/]+)\/(.+)$/);
    if (m === null) return new Response("no such route", { status: 404 });
    const override = overrides[m[3]!];
    if (override !== undefined) return new Response(override);
    try {
      return new Response(await Deno.readFile(`${FIXTURES}${m[1]}/${m[3]}`));
    } catch {
      return new Response("Entry not found", { status: 404 });
    }
  });
  const endpoint = `http://127.0.0.1:${server.addr.port}`;
  return { server, endpoint, requests };
}

Deno.test("hubFile downloads into the cache and then serves cache hits without the network", async () => {
  const cacheDir = await Deno.makeTempDir();
  const { server, endpoint, requests } = serveFixtures();
  try {
    const path = await hubFile("tiny/gpt2", "model.safetensors", { cacheDir, endpoint });
    assertEquals(path, hubCachePath("tiny/gpt2", "model.safetensors", { cacheDir }));
    assertEquals(
      await Deno.readFile(path),
      await Deno.readFile(`${FIXTURES}gpt2/model.safetensors`),
    );
    assertEquals(requests, ["/tiny/gpt2/resolve/main/model.safetensors"]);
    // No temporary files are left next to the cached file.
    const names = [...Deno.readDirSync(path.slice(0, path.lastIndexOf("/")))].map((e) => e.name);
    assertEquals(names, ["model.safetensors"]);
  } finally {
    await server.shutdown();
  }
  // The server is gone: a cache hit must not touch the network.
  const again = await hubFile("tiny/gpt2", "model.safetensors", {
    cacheDir,
    endpoint: "http://127.0.0.1:9",
  });
  assertEquals(again, hubCachePath("tiny/gpt2", "model.safetensors", { cacheDir }));
  await Deno.remove(cacheDir, { recursive: true });
});

Deno.test("hubFile reports an unreachable hub with what to do instead", async () => {
  const cacheDir = await Deno.makeTempDir();
  const error = await assertRejects(
    () => hubFile("tiny/bert", "config.json", { cacheDir, endpoint: "http://127.0.0.1:9" }),
    Error,
  );
  assert(error.message.includes("the hub is unreachable"), error.message);
  assert(error.message.includes("pass their local folder"), error.message);
  assert(
    error.message.includes("http://127.0.0.1:9/tiny/bert/resolve/main/config.json"),
    error.message,
  );
  await Deno.remove(cacheDir, { recursive: true });
});

Deno.test("hubFile rejects a corrupt safetensors download and leaves nothing in the cache", async () => {
  const cacheDir = await Deno.makeTempDir();
  const bad = new Uint8Array(16);
  new DataView(bad.buffer).setBigUint64(0, 1000n, true); // header longer than the file
  const { server, endpoint } = serveFixtures({ "model.safetensors": bad });
  try {
    await assertRejects(
      () => hubFile("tiny/bert", "model.safetensors", { cacheDir, endpoint }),
      Error,
      "runs past the end of the file",
    );
    const folder = hubCachePath("tiny/bert", "model.safetensors", { cacheDir });
    const names = [...Deno.readDirSync(folder.slice(0, folder.lastIndexOf("/")))];
    assertEquals(names, []);
  } finally {
    await server.shutdown();
  }
  await Deno.remove(cacheDir, { recursive: true });
});

Deno.test("hubFile distinguishes a missing file (404) and rejects bad ids", async () => {
  const cacheDir = await Deno.makeTempDir();
  const { server, endpoint } = serveFixtures();
  try {
    await assertRejects(
      () => hubFile("tiny/bert", "pytorch_model.bin", { cacheDir, endpoint }),
      HubFileNotFoundError,
      "HTTP 404",
    );
  } finally {
    await server.shutdown();
  }
  await assertRejects(() => hubFile("../etc", "config.json", { cacheDir }), TypeError, `"../etc"`);
  await assertRejects(() => hubFile("a/b", "../x", { cacheDir }), TypeError, `"../x"`);
  await Deno.remove(cacheDir, { recursive: true });
});

/** A raw HTTP server that sends `head` and then `body` bytes, then either closes or stalls. */
function rawServer(head: string, body: Uint8Array, then: "close" | "stall") {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) {
      open.push(conn);
      const buf = new Uint8Array(4096);
      await conn.read(buf).catch(() => null); // the request
      await conn.write(new TextEncoder().encode(head)).catch(() => 0);
      await conn.write(body).catch(() => 0);
      if (then === "close") conn.close();
    }
  })().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => {
      listener.close();
      for (const c of open) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
    },
  };
}

function cacheFolderIsEmpty(cacheDir: string): boolean {
  const path = hubCachePath("tiny/bert", "config.json", { cacheDir });
  try {
    return [...Deno.readDirSync(path.slice(0, path.lastIndexOf("/")))].length === 0;
  } catch {
    return true; // never created
  }
}

Deno.test("hubFile rejects a body shorter than Content-Length and keeps no partial file", async () => {
  const cacheDir = await Deno.makeTempDir();
  const server = rawServer(
    "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: application/json\r\n\r\n",
    new TextEncoder().encode('{"model_type": "bert"'),
    "close",
  );
  try {
    await assertRejects(
      () => hubFile("tiny/bert", "config.json", { cacheDir, endpoint: server.endpoint }),
      Error,
      "Cannot download",
    );
    assert(cacheFolderIsEmpty(cacheDir), "no partial file is left");
  } finally {
    server.close();
  }
  await Deno.remove(cacheDir, { recursive: true });
});

Deno.test("hubFile gives up on a stalled transfer instead of hanging", async () => {
  const cacheDir = await Deno.makeTempDir();
  const server = rawServer(
    "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
    new Uint8Array(10),
    "stall",
  );
  try {
    await assertRejects(
      () =>
        hubFile("tiny/bert", "config.json", {
          cacheDir,
          endpoint: server.endpoint,
          stallTimeoutMs: 300,
        }),
      Error,
      "no data for 300 ms",
    );
    assert(cacheFolderIsEmpty(cacheDir));
  } finally {
    server.close();
  }
  await Deno.remove(cacheDir, { recursive: true });
});

/** Runs `fn` with environment variables set, restoring them afterwards. */
async function withEnv(vars: Record<string, string>, fn: () => Promise<void>): Promise<void> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  try {
    await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}

Deno.test("hubFile reads Hugging Face's own cache layout under HF_HOME without the network", async () => {
  const hfHome = await Deno.makeTempDir();
  const commit = "0123456789abcdef0123456789abcdef01234567";
  const repoDir = `${hfHome}/hub/models--tiny--bert`;
  await Deno.mkdir(`${repoDir}/refs`, { recursive: true });
  await Deno.mkdir(`${repoDir}/snapshots/${commit}`, { recursive: true });
  await Deno.writeTextFile(`${repoDir}/refs/main`, `${commit}\n`);
  await Deno.copyFile(`${FIXTURES}bert/config.json`, `${repoDir}/snapshots/${commit}/config.json`);
  const cacheDir = await Deno.makeTempDir();
  await withEnv({ HF_HOME: hfHome, HF_HUB_OFFLINE: "1" }, async () => {
    const path = await hubFile("tiny/bert", "config.json", { cacheDir });
    assertEquals(path, `${repoDir}/snapshots/${commit}/config.json`);
    // A file in neither cache is an error naming both places, without a download attempt.
    const error = await assertRejects(
      () => hubFile("tiny/bert", "model.safetensors", { cacheDir, endpoint: "http://127.0.0.1:9" }),
      Error,
      "HF_HUB_OFFLINE",
    );
    assert(error.message.includes(`${hfHome}/hub/models--tiny--bert`), error.message);
    assert(error.message.includes(cacheDir), error.message);
  });
  await Deno.remove(hfHome, { recursive: true });
  await Deno.remove(cacheDir, { recursive: true });
});

Deno.test("hubFile takes the endpoint from HF_ENDPOINT and sends HF_TOKEN", async () => {
  const cacheDir = await Deno.makeTempDir();
  const headers: (string | null)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    headers.push(req.headers.get("authorization"));
    return new Response('{"model_type": "bert"}');
  });
  try {
    await withEnv({
      HF_ENDPOINT: `http://127.0.0.1:${server.addr.port}`,
      HF_TOKEN: "hf_test",
      HF_HUB_OFFLINE: "0",
    }, async () => {
      const path = await hubFile("tiny/private", "config.json", { cacheDir });
      assertEquals(await Deno.readTextFile(path), '{"model_type": "bert"}');
    });
    assertEquals(headers, ["Bearer hf_test"]);
  } finally {
    await server.shutdown();
    await Deno.remove(cacheDir, { recursive: true });
  }
});
