// Runs patterns through the real glibc regcomp(REG_EXTENDED)/regexec (via python3 ctypes), the
// engine legacy HAProxy used, so the translation to JavaScript can be compared with it.
// Returns undefined when python3 or glibc is not available on this machine.
import { spawnSync } from 'node:child_process';

export type GlibcResult = { readonly error: string } | { readonly match: string | null; readonly groups?: readonly (string | null)[] };

const PYTHON = `
import ctypes, json, sys
libc = ctypes.CDLL("libc.so.6")
class M(ctypes.Structure): _fields_ = [("so", ctypes.c_int), ("eo", ctypes.c_int)]
def run(pat, icase, subj):
    buf = ctypes.create_string_buffer(1024)
    rc = libc.regcomp(buf, pat.encode('latin1'), 1 | (2 if icase else 0))
    if rc != 0:
        err = ctypes.create_string_buffer(200); libc.regerror(rc, buf, err, 200)
        return {"error": err.value.decode()}
    ms = (M * 10)()
    r = libc.regexec(buf, subj.encode('latin1'), 10, ms, 0)
    libc.regfree(buf)
    if r != 0: return {"match": None}
    b = subj.encode('latin1')
    return {"match": b[ms[0].so:ms[0].eo].decode('latin1'), "groups": [b[m.so:m.eo].decode('latin1') if m.so >= 0 else None for m in ms[1:4]]}
print(json.dumps([run(*c) for c in json.load(sys.stdin)]))
`;

export function glibcRegex(cases: readonly (readonly [string, boolean, string])[]): GlibcResult[] | undefined {
  // ASCII-only JSON both ways (\u escapes), whatever python's stdin encoding is.
  const input = JSON.stringify(cases).replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  const r = spawnSync('python3', ['-c', PYTHON], { input, encoding: 'utf8', timeout: 20_000 });
  if (r.error || r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout) as GlibcResult[];
  } catch {
    return undefined;
  }
}
