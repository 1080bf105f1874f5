/**
 * PEFT's `target_modules` as a regular expression, matched in linear time.
 *
 * PEFT selects a module when `re.fullmatch(target_modules, name)` holds. Running a config's regex
 * through a backtracking engine can take exponential time (`(.*.*.*)*X` on a long module name
 * never returns), so loradrop compiles the pattern into a Thompson NFA and simulates it over the
 * name: time grows with pattern size × name length, whatever the pattern. The syntax is the subset
 * PEFT configs use — literals, `.`, escapes (`\.`, `\d`, `\w`, `\s` and their negations),
 * bracket classes with ranges, groups (`(…)`, `(?:…)`, `(?P<name>…)`), `|`, the quantifiers
 * `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}` (lazy forms too: they select the same names), and `^` / `$`
 * at the ends. Anything else (back-references, look-arounds, inline flags, possessive
 * quantifiers, word boundaries) is a {@linkcode SyntaxError} naming the construct and its offset.
 *
 * @module
 */

/** The most NFA states a pattern may compile to (counted repetitions are expanded). */
const MAX_STATES = 20_000;

type CharTest = (c: string) => boolean;

type Node =
  | { readonly type: "char"; readonly test: CharTest }
  | { readonly type: "seq"; readonly items: readonly Node[] }
  | { readonly type: "alt"; readonly options: readonly Node[] }
  | { readonly type: "repeat"; readonly node: Node; readonly min: number; readonly max: number }
  | { readonly type: "start" | "end" };

const SUPPORTED =
  "literals, ., \\d \\w \\s, [classes], groups, |, *, +, ?, {m,n}, ^ and $ at the ends";

function unsupported(pattern: string, what: string, at: number): never {
  throw new SyntaxError(
    `Cannot compile target_modules ${
      JSON.stringify(pattern)
    }: ${what} at offset ${at} is not supported (supported: ${SUPPORTED})`,
  );
}

const isDigit: CharTest = (c) => c >= "0" && c <= "9";
const isWord: CharTest = (c) =>
  isDigit(c) || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
const isSpace: CharTest = (c) => " \t\n\r\f\v".includes(c);
const not = (t: CharTest): CharTest => (c) => !t(c);
const literal = (ch: string): CharTest => (c) => c === ch;

class Parser {
  pos = 0;
  constructor(readonly pattern: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.pos < this.pattern.length) {
      // Only an unmatched ")" stops the top-level alternation early.
      throw new SyntaxError(
        `Cannot compile target_modules ${
          JSON.stringify(this.pattern)
        }: unbalanced ")" at offset ${this.pos}`,
      );
    }
    return node;
  }

  private peek(): string | undefined {
    return this.pattern[this.pos];
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.peek() === "|") {
      this.pos++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0]! : { type: "alt", options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.pos < this.pattern.length && this.peek() !== "|" && this.peek() !== ")") {
      items.push(this.quantified());
    }
    return { type: "seq", items };
  }

  private quantified(): Node {
    const at = this.pos;
    let node = this.atom();
    const q = this.quantifier();
    if (q === undefined) return node;
    if (node.type === "start" || node.type === "end") {
      unsupported(this.pattern, "a quantified anchor", at);
    }
    node = { type: "repeat", node, min: q.min, max: q.max };
    if (this.peek() === "?") this.pos++; // lazy: the same names match in full
    else if (this.peek() === "+") unsupported(this.pattern, "a possessive quantifier", this.pos);
    if (this.quantifierAhead()) {
      throw new SyntaxError(
        `Cannot compile target_modules ${
          JSON.stringify(this.pattern)
        }: multiple repeat at offset ${this.pos}`,
      );
    }
    return node;
  }

  private quantifierAhead(): boolean {
    const c = this.peek();
    return c === "*" || c === "+" || c === "?" || (c === "{" && this.braces() !== undefined);
  }

  /** `{m}`, `{m,}`, `{,n}`, `{m,n}` at the cursor (Python reads any other `{` as a literal). */
  private braces(): { min: number; max: number; length: number } | undefined {
    const m = /^\{(\d*)(?:(,)(\d*))?\}/.exec(this.pattern.slice(this.pos));
    if (m === null || (m[1] === "" && m[2] === undefined)) return undefined;
    const min = m[1] === "" ? 0 : Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
    if (max < min) {
      throw new SyntaxError(
        `Cannot compile target_modules ${
          JSON.stringify(this.pattern)
        }: min repeat greater than max repeat at offset ${this.pos}`,
      );
    }
    return { min, max, length: m[0].length };
  }

  private quantifier(): { min: number; max: number } | undefined {
    const c = this.peek();
    if (c === "*") return this.pos++, { min: 0, max: Infinity };
    if (c === "+") return this.pos++, { min: 1, max: Infinity };
    if (c === "?") return this.pos++, { min: 0, max: 1 };
    if (c === "{") {
      const b = this.braces();
      if (b === undefined) return undefined;
      this.pos += b.length;
      return { min: b.min, max: b.max };
    }
    return undefined;
  }

  private atom(): Node {
    const at = this.pos;
    const c = this.pattern[this.pos++]!;
    switch (c) {
      case "(":
        return this.group(at);
      case "[":
        return { type: "char", test: this.bracket(at) };
      case ".":
        return { type: "char", test: (x) => x !== "\n" };
      case "\\":
        return { type: "char", test: this.escape(at, false) };
      case "^":
        if (at !== 0) unsupported(this.pattern, '"^" away from the start', at);
        return { type: "start" };
      case "$":
        if (at !== this.pattern.length - 1) unsupported(this.pattern, '"$" away from the end', at);
        return { type: "end" };
      case "*":
      case "+":
      case "?":
        throw new SyntaxError(
          `Cannot compile target_modules ${
            JSON.stringify(this.pattern)
          }: nothing to repeat at offset ${at}`,
        );
      case "{":
        this.pos--;
        if (this.braces() !== undefined) {
          throw new SyntaxError(
            `Cannot compile target_modules ${
              JSON.stringify(this.pattern)
            }: nothing to repeat at offset ${at}`,
          );
        }
        this.pos++;
        return { type: "char", test: literal("{") };
      default:
        return { type: "char", test: literal(c) };
    }
  }

  private group(at: number): Node {
    if (this.peek() === "?") {
      const rest = this.pattern.slice(this.pos);
      const named = /^\?P<[A-Za-z_]\w*>/.exec(rest);
      if (rest.startsWith("?:")) this.pos += 2;
      else if (named !== null) this.pos += named[0].length;
      else {
        const what = /^\?[=!]|^\?<[=!]/.test(rest)
          ? "a look-around"
          : /^\?P=/.test(rest)
          ? "a back-reference"
          : "an inline flag or extension group";
        unsupported(this.pattern, what, at);
      }
    }
    const inner = this.alternation();
    if (this.peek() !== ")") {
      throw new SyntaxError(
        `Cannot compile target_modules ${
          JSON.stringify(this.pattern)
        }: missing ")" for the group at offset ${at}`,
      );
    }
    this.pos++;
    return inner;
  }

  /** The escape after a backslash; inside a class `\b` is a backspace in Python, outside a boundary. */
  private escape(at: number, inClass: boolean): CharTest {
    const c = this.pattern[this.pos++];
    if (c === undefined) {
      throw new SyntaxError(
        `Cannot compile target_modules ${
          JSON.stringify(this.pattern)
        }: a trailing backslash at offset ${at}`,
      );
    }
    switch (c) {
      case "d":
        return isDigit;
      case "D":
        return not(isDigit);
      case "w":
        return isWord;
      case "W":
        return not(isWord);
      case "s":
        return isSpace;
      case "S":
        return not(isSpace);
      case "n":
        return literal("\n");
      case "t":
        return literal("\t");
      case "r":
        return literal("\r");
    }
    if (/[0-9]/.test(c)) unsupported(this.pattern, "a back-reference or octal escape", at);
    if (/[A-Za-z]/.test(c)) {
      unsupported(this.pattern, `the escape "\\${c}"${inClass ? " in a class" : ""}`, at);
    }
    return literal(c); // an escaped punctuation character stands for itself
  }

  private bracket(at: number): CharTest {
    const negate = this.peek() === "^";
    if (negate) this.pos++;
    const tests: CharTest[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) {
        throw new SyntaxError(
          `Cannot compile target_modules ${
            JSON.stringify(this.pattern)
          }: unterminated class at offset ${at}`,
        );
      }
      if (c === "]" && !first) {
        this.pos++;
        break;
      }
      first = false;
      const start = this.pos;
      const lo = this.classChar();
      if (
        this.peek() === "-" && this.pattern[this.pos + 1] !== "]" &&
        this.pos + 1 < this.pattern.length
      ) {
        this.pos++;
        const hi = this.classChar();
        if (typeof lo !== "string" || typeof hi !== "string") {
          unsupported(this.pattern, "a range bounded by a class escape", start);
        }
        if (hi < lo) {
          throw new SyntaxError(
            `Cannot compile target_modules ${
              JSON.stringify(this.pattern)
            }: bad character range at offset ${start}`,
          );
        }
        tests.push((x) => x >= lo && x <= hi);
      } else {
        tests.push(typeof lo === "string" ? literal(lo) : lo);
      }
    }
    const any: CharTest = (x) => tests.some((t) => t(x));
    return negate ? not(any) : any;
  }

  /** One class member: a character, or a class escape such as `\d`. */
  private classChar(): string | CharTest {
    const c = this.pattern[this.pos++]!;
    if (c !== "\\") return c;
    const e = this.pattern[this.pos];
    if (e !== undefined && !/[dDwWsSntr]/.test(e) && !/[A-Za-z0-9]/.test(e)) {
      this.pos++;
      return e;
    }
    if (e === "n" || e === "t" || e === "r") {
      this.pos++;
      return e === "n" ? "\n" : e === "t" ? "\t" : "\r";
    }
    return this.escape(this.pos - 1, true);
  }
}

interface State {
  /** A character state: its test and the state after it. */
  test?: CharTest;
  next?: number;
  /** Epsilon moves. */
  eps: number[];
  /** Zero-width: passable only at the start (`^`) or end (`$`) of the name. */
  anchor?: "start" | "end";
}

/** A compiled `target_modules` regex; see {@linkcode compileTargetRegex}. */
export interface TargetRegex {
  /** The pattern as given. */
  readonly pattern: string;
  /** Whether the pattern matches the whole of `name` (Python's `re.fullmatch`), in linear time. */
  fullMatch(name: string): boolean;
}

/**
 * Compiles a PEFT `target_modules` regex for full matches in time linear in the name's length.
 *
 * @param pattern The regex from `adapter_config.json`.
 * @returns The compiled matcher.
 * @throws {SyntaxError} For syntax outside the supported subset, naming it and its offset.
 * @example
 * ```ts
 * import { compileTargetRegex } from "@loradrop/core/io";
 * import { assert, assertFalse, assertThrows } from "@std/assert";
 * const re = compileTargetRegex(".*encoder\\.layer\\.\\d+\\.(attention\\.self\\.query|output\\.dense)");
 * assert(re.fullMatch("roberta.encoder.layer.11.attention.self.query"));
 * assertFalse(re.fullMatch("roberta.encoder.layer.1.attention.self.query.extra"));
 * // A pattern that sends a backtracking engine into exponential time answers at once.
 * assertFalse(compileTargetRegex("(.*.*.*)*X").fullMatch("a".repeat(200)));
 * assertThrows(() => compileTargetRegex("(?=query)q"), SyntaxError, "look-around");
 * ```
 */
export function compileTargetRegex(pattern: string): TargetRegex {
  const ast = new Parser(pattern).parse();
  const states: State[] = [];
  const add = (s: State): number => {
    if (states.length >= MAX_STATES) {
      throw new RangeError(
        `Cannot compile target_modules ${
          JSON.stringify(pattern)
        }: it expands to more than ${MAX_STATES} states (lower its counted repetitions)`,
      );
    }
    states.push(s);
    return states.length - 1;
  };
  const accept = add({ eps: [] });
  // Builds `node` in front of the continuation state `next`; returns the entry state.
  const build = (node: Node, next: number): number => {
    switch (node.type) {
      case "char":
        return add({ test: node.test, next, eps: [] });
      case "start":
      case "end":
        return add({ eps: [next], anchor: node.type });
      case "seq":
        return node.items.reduceRight((after, item) => build(item, after), next);
      case "alt":
        return add({ eps: node.options.map((o) => build(o, next)) });
      case "repeat": {
        let entry = next;
        if (node.max === Infinity) {
          const loop = add({ eps: [] });
          states[loop]!.eps.push(build(node.node, loop), next);
          entry = loop;
        } else {
          for (let i = node.min; i < node.max; i++) {
            entry = add({ eps: [build(node.node, entry), next] });
          }
        }
        for (let i = 0; i < node.min; i++) entry = build(node.node, entry);
        return entry;
      }
    }
  };
  const start = build(ast, accept);
  return {
    pattern,
    fullMatch(name: string): boolean {
      const seen = new Int32Array(states.length).fill(-1);
      // Adds `s` and everything reachable by epsilon moves at position `pos` to `set`.
      const close = (s: number, pos: number, set: number[]) => {
        const stack = [s];
        while (stack.length > 0) {
          const i = stack.pop()!;
          if (seen[i] === pos) continue;
          seen[i] = pos;
          const st = states[i]!;
          if (st.anchor === "start" && pos !== 0) continue;
          if (st.anchor === "end" && pos !== name.length) continue;
          if (st.test !== undefined) set.push(i);
          else if (i === accept) set.push(i);
          for (const next of st.eps) stack.push(next);
        }
      };
      let current: number[] = [];
      close(start, 0, current);
      for (let pos = 0; pos < name.length && current.length > 0; pos++) {
        const c = name[pos]!;
        const following: number[] = [];
        for (const i of current) {
          const st = states[i]!;
          if (st.test !== undefined && st.test(c)) close(st.next!, pos + 1, following);
        }
        current = following;
      }
      return current.includes(accept);
    },
  };
}
