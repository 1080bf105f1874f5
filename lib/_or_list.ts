// Private: lists of accepted values in error messages, "a, b or c".

/** Formats names as `a, b or c` (one name alone; nothing for none). */
export function orList(names: readonly string[]): string {
  return names.length < 2
    ? names.join("")
    : `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;
}
