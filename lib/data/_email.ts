// Turns a raw RFC 822 / MIME email into plain body text: headers dropped, MIME parts decoded
// (quoted-printable, base64), text/plain preferred over text/html, HTML tags and entities removed.

interface Part {
  readonly headers: Map<string, string>;
  readonly body: string;
}

function splitHeaders(raw: string): Part {
  const text = raw.replace(/\r\n/g, "\n");
  const end = text.indexOf("\n\n");
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? "" : text.slice(end + 2);
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of head.split("\n")) {
    if (/^[ \t]/.test(line) && last !== undefined) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue; // e.g. the mbox "From addr date" line
    last = line.slice(0, colon).trim().toLowerCase();
    headers.set(last, line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function parameter(header: string, name: string): string | undefined {
  const m = header.match(new RegExp(`${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, "i"));
  return m ? (m[1] ?? m[2]) : undefined;
}

function bytesToText(bytes: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? "latin1").decode(bytes);
  } catch {
    return new TextDecoder("latin1").decode(bytes);
  }
}

function decodeBody(part: Part): string {
  const encoding = (part.headers.get("content-transfer-encoding") ?? "").toLowerCase();
  const charset = parameter(part.headers.get("content-type") ?? "", "charset")?.toLowerCase();
  if (encoding === "quoted-printable") {
    const joined = part.body.replace(/=\n/g, "");
    const bytes: number[] = [];
    for (let i = 0; i < joined.length; i++) {
      const c = joined[i]!;
      const hex = joined.slice(i + 1, i + 3);
      if (c === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else {
        const code = joined.charCodeAt(i);
        bytes.push(code < 256 ? code : 63);
      }
    }
    return bytesToText(new Uint8Array(bytes), charset);
  }
  if (encoding === "base64") {
    try {
      const bin = atob(part.body.replace(/[^A-Za-z0-9+/=]/g, ""));
      return bytesToText(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)), charset);
    } catch {
      return "";
    }
  }
  // 7bit/8bit text in a stateful or multi-byte charset (e.g. iso-2022-jp) still needs decoding.
  if (charset !== undefined && !/^(us-ascii|utf-8|iso-8859-1|latin1|windows-1252)$/.test(charset)) {
    const codes = Array.from(part.body, (ch) => ch.charCodeAt(0));
    if (codes.every((c) => c < 256)) return bytesToText(Uint8Array.from(codes), charset);
  }
  return part.body;
}

const ENTITIES: Record<string, string> = {
  nbsp: " ",
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  copy: "©",
  reg: "®",
};

/** Removes HTML markup: script/style blocks, comments and tags; decodes common entities. */
export function stripHtml(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<br\s*\/?>|<\/p\s*>|<\/div\s*>|<\/tr\s*>/gi, "\n")
    .replace(/<[^>]*>/g, " ")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Math.min(0x10ffff, Number(d))))
    .replace(
      /&#x([0-9a-f]+);/gi,
      (_, h: string) => String.fromCodePoint(Math.min(0x10ffff, parseInt(h, 16))),
    )
    .replace(/&([a-z]+);/gi, (m, name: string) => ENTITIES[name.toLowerCase()] ?? m);
}

const HEADER_LINE =
  /^(return-path|received|from|to|delivered-to|date|subject|message-id|x-[\w-]+):/i;

/** Drops header blocks of messages forwarded inline at the start of a text part. */
function withoutForwardedHeaders(text: string): string {
  let t = text.replace(/^\s+/, "");
  for (let k = 0; k < 4 && HEADER_LINE.test(t); k++) {
    const end = t.replace(/\r\n/g, "\n").indexOf("\n\n");
    if (end < 0) return "";
    t = t.replace(/\r\n/g, "\n").slice(end + 2).replace(/^\s+/, "");
  }
  return t;
}

/** Collects the text parts of a (possibly multipart) MIME entity, depth-first. */
function textParts(part: Part, out: { plain: string[]; html: string[] }, depth: number): void {
  const type = (part.headers.get("content-type") ?? "text/plain").toLowerCase();
  if (type.startsWith("multipart/") && depth < 8) {
    const boundary = parameter(part.headers.get("content-type") ?? "", "boundary");
    if (boundary !== undefined) {
      const pieces = part.body.split(`--${boundary}`);
      // pieces[0] is the preamble; a piece starting with "--" is the epilogue.
      for (const piece of pieces.slice(1)) {
        if (piece.startsWith("--")) break;
        textParts(splitHeaders(piece.replace(/^[ \t]*\n/, "")), out, depth + 1);
      }
      return;
    }
  }
  if (type.startsWith("message/rfc822")) {
    textParts(splitHeaders(part.body), out, depth + 1);
    return;
  }
  if (type.startsWith("text/html")) out.html.push(decodeBody(part));
  else if (type.startsWith("text/") || !part.headers.has("content-type")) {
    out.plain.push(withoutForwardedHeaders(decodeBody(part)));
  }
}

/**
 * The readable body of a raw email: headers dropped, text/plain parts (or, when there are
 * none, text/html parts without their markup), whitespace collapsed.
 */
export function emailBodyText(raw: string): string {
  const out = { plain: [] as string[], html: [] as string[] };
  textParts(splitHeaders(raw), out, 0);
  const text = out.plain.length > 0 ? out.plain.join("\n") : out.html.map(stripHtml).join("\n");
  // A text/plain part that is really HTML (common in spam) is stripped too.
  const cleaned = /<(html|body|p|div|font|table|a)\b/i.test(text) ? stripHtml(text) : text;
  return cleaned.replace(/\s+/g, " ").trim();
}
