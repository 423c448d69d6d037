/**
 * A strict little XML parser for the tests: throws on anything not well-formed (unclosed or crossed tags, a
 * bare `&` or `<` in text, an unknown entity, a duplicate attribute, text after the root) and returns the
 * element tree. Enough for the SVG acpidm writes; not a general XML processor (no DTD, no namespaces).
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Text directly inside this element, entities decoded. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string, at: number): string {
  if (/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(s)) throw new Error(`not well-formed: bare & or < near offset ${at}: ${JSON.stringify(s.slice(0, 60))}`);
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_, e: string) => (e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ENTITIES[e]!));
}

export function parseXml(src: string): XmlElement {
  let i = 0;
  if (src.startsWith('<?xml')) i = src.indexOf('?>') + 2;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const text = src.slice(i, lt < 0 ? src.length : lt);
    if (stack.length) stack.at(-1)!.text += decode(text, i);
    else if (text.trim()) throw new Error(`not well-formed: text outside the root at ${i}`);
    if (lt < 0) break;
    if (src.startsWith('<!--', lt)) {
      const end = src.indexOf('-->', lt);
      if (end < 0) throw new Error('unclosed comment');
      i = end + 3;
      continue;
    }
    const gt = src.indexOf('>', lt);
    if (gt < 0) throw new Error(`unclosed tag at ${lt}`);
    const tag = src.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`not well-formed: </${name}> closes <${open?.name ?? 'nothing'}> at ${lt}`);
      if (!stack.length) root = open;
    } else {
      const selfClose = tag.endsWith('/');
      const body = selfClose ? tag.slice(0, -1) : tag;
      const m = /^([A-Za-z_][\w:.-]*)/.exec(body);
      if (!m) throw new Error(`bad tag name at ${lt}: ${body.slice(0, 20)}`);
      const el: XmlElement = { name: m[1]!, attrs: {}, children: [], text: '' };
      const rest = body.slice(m[1]!.length);
      const attrRe = /\s+([A-Za-z_][\w:.-]*)="([^"]*)"/y;
      let k = 0;
      for (;;) {
        attrRe.lastIndex = k;
        const a = attrRe.exec(rest);
        if (!a) break;
        if (a[1]! in el.attrs) throw new Error(`duplicate attribute ${a[1]} on <${el.name}>`);
        el.attrs[a[1]!] = decode(a[2]!, lt);
        k = attrRe.lastIndex;
      }
      if (rest.slice(k).trim()) throw new Error(`not well-formed attributes on <${el.name}> at ${lt}: ${rest.slice(k, k + 40)}`);
      if (root || (!stack.length && root)) throw new Error('a second root element');
      if (stack.length) stack.at(-1)!.children.push(el);
      if (selfClose) {
        if (!stack.length) root = el;
      } else stack.push(el);
    }
    i = gt + 1;
  }
  if (stack.length) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element below `el` (depth first, document order) that `pred` accepts. */
export function findAll(el: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (pred(e)) out.push(e);
    e.children.forEach(walk);
  };
  walk(el);
  return out;
}

export const hasClass = (e: XmlElement, c: string): boolean => (e.attrs['class'] ?? '').split(/\s+/).includes(c);
