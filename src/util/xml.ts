// The one XML module: documents are built as element trees and written by fast-xml-parser's
// XMLBuilder (which escapes every text and attribute), and read by its XMLParser. Used for the
// task sequence (configmgr/task-sequence.ts), the JUnit report (report/junit.ts) and the WIM's
// image XML (imaging/wimxml.ts). No XML is written by string concatenation.
import { XMLBuilder, XMLParser, type X2jOptions } from 'fast-xml-parser';

/** An element: its tag, attributes (undefined ones are left out) and children, in order. */
export interface XmlElement {
  tag: string;
  attrs: Record<string, string | number | boolean | undefined>;
  children: XmlChild[];
}
export type XmlChild = XmlElement | string;

/** An element; strings among the children are text. */
export function el(tag: string, attrs: XmlElement['attrs'] = {}, ...children: (XmlChild | XmlChild[] | false | null | undefined)[]): XmlElement {
  return { tag, attrs, children: children.flat().filter((c): c is XmlChild => c !== false && c !== null && c !== undefined) };
}

/** Drops the characters XML 1.0 cannot carry (control characters other than tab, CR, LF; lone surrogates). */
export function xmlSafe(value: string): string {
  return value.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
}

type Ordered = Record<string, unknown>;

function toOrdered(node: XmlChild): Ordered {
  if (typeof node === 'string') return { '#text': xmlSafe(node) };
  const out: Ordered = { [node.tag]: node.children.map(toOrdered) };
  const attrs = Object.entries(node.attrs).filter(([, v]) => v !== undefined);
  if (attrs.length) out[':@'] = Object.fromEntries(attrs.map(([k, v]) => [`@_${k}`, xmlSafe(String(v))]));
  return out;
}

// Text is escaped as the ConfigMgr console (.NET's XmlWriter) writes it: & < > only, quotes as they
// are (real exports: `<action>tsenv.exe "NAME=VALUE" /hiddenflag:False</action>`). Attributes get the
// same, and the builder adds " and '.
const text = (value: unknown) => String(value).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const common = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: true,
  processEntities: false,
  tagValueProcessor: (_name: string, value: unknown) => text(value),
  attributeValueProcessor: (_name: string, value: unknown) => text(value),
};
// fast-xml-parser's own builder (issue 14.4 asks for it); v5.12 marks it deprecated in favour of the
// separate fast-xml-builder package, which is the same code: move when fast-xml-parser drops it.
// eslint-disable-next-line @typescript-eslint/no-deprecated
const compact = new XMLBuilder({ ...common, format: false });
// eslint-disable-next-line @typescript-eslint/no-deprecated
const indented = new XMLBuilder({ ...common, format: true, indentBy: '  ' });

/** The document's text: one line (as the ConfigMgr console writes a task sequence) or indented,
 *  optionally with an XML declaration. Empty elements are written self-closed. */
export function buildXml(root: XmlElement, options: { indent?: boolean; declaration?: boolean } = {}): string {
  const body = (options.indent ? indented : compact).build([toOrdered(root)]);
  const text = options.indent ? `${body.replace(/^\n/, '')}${body.endsWith('\n') ? '' : '\n'}` : body;
  return `${options.declaration ? `<?xml version="1.0" encoding="UTF-8"?>${options.indent ? '\n' : ''}` : ''}${text}`;
}

/** An XML parser with osmedia's defaults (attributes kept, values as text), adjustable per use. */
export function xmlParser(options: Partial<X2jOptions> = {}): XMLParser {
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, ...options });
}
