// Stats test support: a small HTML well-formedness checker and table reader (the stats page is
// written XHTML-style so that a strict tag-balance check applies), a raw HTTP GET on loopback,
// and a client for the runtime socket. Every wait is bounded.
import net from 'node:net';
import { exchange } from './http-harness.js';

const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);
const RAW_TEXT = new Set(['style', 'script']);
const ENTITY = /^&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/;

/** Problems found in `html` (empty = well formed): unbalanced tags, bad attributes, stray `<`/`&`. */
export function wellFormednessErrors(html: string): string[] {
  const errors: string[] = [];
  const stack: string[] = [];
  let i = 0;
  let guard = 0;
  const text = (s: string, at: number): void => {
    for (let k = s.indexOf('&'); k >= 0; k = s.indexOf('&', k + 1)) {
      if (!ENTITY.test(s.slice(k))) errors.push(`bad entity at ${at + k}`);
    }
    if (s.includes('>')) errors.push(`stray '>' in text at ${at}`);
  };
  while (i < html.length && guard++ < 1_000_000) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      text(html.slice(i), i);
      break;
    }
    text(html.slice(i, lt), i);
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt);
      if (end < 0) return [...errors, `unterminated comment at ${lt}`];
      i = end + 3;
      continue;
    }
    if (html.startsWith('<!', lt)) {
      const end = html.indexOf('>', lt);
      if (end < 0) return [...errors, `unterminated declaration at ${lt}`];
      i = end + 1;
      continue;
    }
    const close = /^<\/([a-zA-Z][a-zA-Z0-9]*)\s*>/.exec(html.slice(lt));
    if (close !== null) {
      const name = close[1]!.toLowerCase();
      const top = stack.pop();
      if (top !== name) errors.push(`</${name}> at ${lt} closes <${top ?? 'nothing'}>`);
      i = lt + close[0].length;
      continue;
    }
    const open = /^<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*"[^"<]*")?)*)\s*(\/?)>/.exec(html.slice(lt));
    if (open === null) {
      errors.push(`malformed tag at ${lt}: ${JSON.stringify(html.slice(lt, lt + 40))}`);
      i = lt + 1;
      continue;
    }
    const name = open[1]!.toLowerCase();
    const attrs = open[2]!;
    const seen = new Set<string>();
    for (const m of attrs.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*"([^"]*)")?/g)) {
      const a = m[1]!.toLowerCase();
      if (seen.has(a)) errors.push(`duplicate attribute ${a} at ${lt}`);
      seen.add(a);
      if (m[2] !== undefined) text(m[2], lt);
    }
    i = lt + open[0].length;
    if (open[3] === '/' || VOID.has(name)) continue;
    if (RAW_TEXT.has(name)) {
      const end = html.toLowerCase().indexOf(`</${name}>`, i);
      if (end < 0) return [...errors, `unterminated <${name}> at ${lt}`];
      i = end + name.length + 3;
      continue;
    }
    stack.push(name);
  }
  if (stack.length > 0) errors.push(`unclosed: ${stack.join(' > ')}`);
  return errors;
}

export interface PageRow {
  /** The `class` attribute of the <tr>. */
  readonly cls: string;
  readonly server: string | undefined;
  /** Cell texts (tags stripped, entities of the page decoded). */
  readonly cells: string[];
}

export interface PageTable {
  readonly proxy: string;
  readonly rows: PageRow[];
}

function decode(s: string): string {
  return s
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#160;/g, '\u00a0')
    .replace(/&amp;/g, '&');
}

/** The proxy tables of the stats page and their data rows (FRONTEND, servers, BACKEND). */
export function pageTables(html: string): PageTable[] {
  const tables: PageTable[] = [];
  for (const t of html.matchAll(/<table class="px" data-proxy="([^"]*)">([\s\S]*?)<\/table>/g)) {
    const rows: PageRow[] = [];
    for (const r of t[2]!.matchAll(/<tr class="([^"]*)"(?: data-server="([^"]*)")?>([\s\S]*?)<\/tr>/g)) {
      if (r[1] === 'titre' || r[1] === 'pxname') continue;
      const cells = [...r[3]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => decode(c[1]!));
      rows.push({ cls: r[1]!, server: r[2] === undefined ? undefined : decode(r[2]), cells });
    }
    tables.push({ proxy: decode(t[1]!), rows });
  }
  return tables;
}

export interface HttpAnswer {
  readonly raw: string;
  readonly head: string;
  readonly body: string;
  readonly status: number;
}

/** `GET <path> HTTP/1.0` with extra header lines, read until the proxy closes. */
export async function httpGet(port: number, path: string, headers: readonly string[] = []): Promise<HttpAnswer> {
  const req = `GET ${path} HTTP/1.0\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
  const ex = await exchange(port, req, { timeoutMs: 5000 });
  const raw = ex.data.toString('utf8');
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end + 4);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? -1);
  return { raw, head, body: end < 0 ? '' : raw.slice(end + 4), status };
}

export const basic = (user: string, pass: string): string => `Authorization: Basic ${Buffer.from(`${user}:${pass}`, 'latin1').toString('base64')}`;

/** Sends `text` on the runtime socket and collects everything until it closes (or `timeoutMs`). */
export function socketCommand(path: string, text: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close from the stats socket after ${timeoutMs} ms; got ${JSON.stringify(out)}`));
    }, timeoutMs);
    s.setEncoding('latin1');
    s.on('data', (d: string) => (out += d));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    // like `echo cmd | socat stdio unix:…`: the command, then our side is shut
    s.on('connect', () => s.end(text));
  });
}
