// A minimal XML reader for the WebNLG benchmark files: elements, attributes, text, CDATA,
// comments, processing instructions and the predefined/numeric entities. No DTDs or namespaces.

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: (XmlElement | string)[];
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function decodeEntities(text: string, where: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);/g, (all, body: string) => {
    if (body.startsWith("#x")) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith("#")) return String.fromCodePoint(parseInt(body.slice(1), 10));
    const v = ENTITIES[body];
    if (v === undefined) throw new SyntaxError(`${where}: unknown XML entity ${all}`);
    return v;
  });
}

function lineAt(text: string, at: number): number {
  let line = 1;
  for (let i = 0; i < at && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Parses a whole document; returns its root element. Throws SyntaxError naming the line. */
export function parseXml(text: string, where: string): XmlElement {
  const root: XmlElement = { name: "#document", attributes: {}, children: [] };
  const stack: XmlElement[] = [root];
  let at = 0;
  const fail = (msg: string, pos: number): never => {
    throw new SyntaxError(`${where}: ${msg} at line ${lineAt(text, pos)}`);
  };
  while (at < text.length) {
    const lt = text.indexOf("<", at);
    const end = lt < 0 ? text.length : lt;
    if (end > at) {
      const chunk = text.slice(at, end);
      if (stack.length > 1) stack[stack.length - 1]!.children.push(decodeEntities(chunk, where));
      else if (chunk.trim() !== "") fail("text outside the root element", at);
    }
    if (lt < 0) break;
    if (text.startsWith("<!--", lt)) {
      const close = text.indexOf("-->", lt + 4);
      if (close < 0) fail("unterminated comment", lt);
      at = close + 3;
    } else if (text.startsWith("<![CDATA[", lt)) {
      const close = text.indexOf("]]>", lt + 9);
      if (close < 0) fail("unterminated CDATA section", lt);
      stack[stack.length - 1]!.children.push(text.slice(lt + 9, close));
      at = close + 3;
    } else if (text.startsWith("<?", lt) || text.startsWith("<!", lt)) {
      const close = text.indexOf(">", lt);
      if (close < 0) fail("unterminated declaration", lt);
      at = close + 1;
    } else if (text.startsWith("</", lt)) {
      const close = text.indexOf(">", lt);
      if (close < 0) fail("unterminated end tag", lt);
      const name = text.slice(lt + 2, close).trim();
      const open = stack.pop();
      if (open === undefined || open.name !== name || stack.length === 0) {
        fail(`end tag </${name}> does not match <${open?.name ?? ""}>`, lt);
      }
      at = close + 1;
    } else {
      const tag = /^<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(
        text.slice(lt, lt + 4096),
      );
      if (tag === null) fail("malformed start tag", lt);
      const attributes: Record<string, string> = {};
      for (const a of tag![2]!.matchAll(/([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        attributes[a[1]!] = decodeEntities(a[2] ?? a[3] ?? "", where);
      }
      const el: XmlElement = { name: tag![1]!, attributes, children: [] };
      stack[stack.length - 1]!.children.push(el);
      if (tag![3] !== "/") stack.push(el);
      at = lt + tag![0].length;
    }
  }
  if (stack.length !== 1) {
    fail(`element <${stack[stack.length - 1]!.name}> is not closed`, text.length);
  }
  const top = root.children.filter((c): c is XmlElement => typeof c !== "string");
  if (top.length !== 1) fail(`expected one root element, found ${top.length}`, 0);
  return top[0]!;
}

export function childElements(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => typeof c !== "string" && c.name === name);
}

export function textOf(el: XmlElement): string {
  return el.children.map((c) => typeof c === "string" ? c : textOf(c)).join("");
}
