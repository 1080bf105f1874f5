// Private: the registry behind the pattern table (lib/dropout/patterns.ts) and the compensation
// table (lib/losses/compensations.ts): named rows, built-ins that stay, a live list of names.

/** A table of rows named by one of their fields; `what` names a row in messages ("dropout pattern"). */
export interface Table<Row> {
  /** Every name, in registration order; the same array object for the table's whole life. */
  readonly names: readonly string[];
  /** The row of a name, or undefined. */
  get(name: string): Row | undefined;
  /** Adds a row after `check(row)`; the name must be a new non-empty string. */
  register(row: Row): Row;
  /** Removes a registered row; the built-ins stay. */
  unregister(name: string): void;
}

/** A table holding `builtIns`, checking every row with `check` (which throws on a bad row). */
export function createTable<Row>(
  what: string,
  field: keyof Row & string,
  check: (row: Row) => void,
  builtIns: readonly Row[],
): Table<Row> {
  const name = (row: Row): unknown => row[field];
  const rows = new Map<string, Row>();
  const names: string[] = [];
  const table: Table<Row> = {
    names,
    get: (n) => rows.get(n),
    register(row) {
      const n = row === null || typeof row !== "object" ? undefined : name(row);
      if (typeof n !== "string" || n === "") {
        throw new TypeError(
          `Cannot register a ${what}: expected a row with a non-empty ${field}, received ${
            JSON.stringify(row)
          }`,
        );
      }
      if (rows.has(n)) {
        throw new TypeError(
          `Cannot register a ${what}: the ${field} must be new, received "${n}" (already registered)`,
        );
      }
      check(row);
      rows.set(n, row);
      names.push(n);
      return row;
    },
    unregister(n) {
      if (builtIns.some((row) => name(row) === n)) {
        throw new TypeError(`Cannot unregister a ${what}: the built-in rows stay, received "${n}"`);
      }
      if (!rows.delete(n)) {
        throw new TypeError(`Cannot unregister a ${what}: no row is registered as "${n}"`);
      }
      names.splice(names.indexOf(n), 1);
    },
  };
  for (const row of builtIns) table.register(row);
  return table;
}
