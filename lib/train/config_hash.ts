/**
 * Stable JSON (object keys sorted at every depth) and its SHA-256, used to name runs: the same
 * configuration always hashes the same, whatever order its keys were written in.
 *
 * @module
 */

/** A JSON value. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

function stable(value: unknown, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) {
        throw new TypeError(
          `Cannot serialise configuration: ${path} must be a finite number, received ${value}`,
        );
      }
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => stable(v, `${path}[${i}]`)).join(",")}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(
          `Cannot serialise configuration: ${path} must be a plain object, received ${
            (value as object).constructor?.name ?? "an object"
          }`,
        );
      }
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${
        entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v, `${path}.${k}`)}`).join(",")
      }}`;
    }
    default:
      throw new TypeError(
        `Cannot serialise configuration: ${path} must be JSON (null, boolean, number, string, array or plain object), received ${typeof value}`,
      );
  }
}

/**
 * Serialises a JSON value with sorted object keys and no whitespace. Properties whose value is
 * `undefined` are left out (as in `JSON.stringify`); non-finite numbers, functions and class
 * instances are a TypeError.
 *
 * @param value The value.
 * @returns Its canonical JSON text.
 * @example
 * ```ts
 * import { stableStringify } from "./config_hash.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(stableStringify({ b: 1, a: [true, { d: null, c: "x" }] }), '{"a":[true,{"c":"x","d":null}],"b":1}');
 * ```
 */
export function stableStringify(value: unknown): string {
  return stable(value, "config");
}

/**
 * The SHA-256 (hex) of a value's stable JSON.
 *
 * @param value The value.
 * @returns 64 lowercase hex digits.
 * @example
 * ```ts
 * import { configHash } from "./config_hash.ts";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 * assertEquals(await configHash({ a: 1, b: 2 }), await configHash({ b: 2, a: 1 }));
 * assertNotEquals(await configHash({ a: 1 }), await configHash({ a: 2 }));
 * ```
 */
export async function configHash(value: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(stableStringify(value));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
