// HTTP Basic authentication for the stats page (`stats auth user:pass`, spec §11.4): the
// Authorization header's credentials against every configured account, compared in constant
// time over equal-length digests so that neither a wrong user nor a wrong length shows in timing.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface StatsAccount {
  readonly user: string;
  readonly password: string;
}

const digest = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The credentials (`user:pass` bytes) of the first Authorization header, if it is Basic. */
export function basicCredentials(headers: readonly string[]): Buffer | undefined {
  for (const line of headers) {
    const colon = line.indexOf(':');
    if (colon !== 13 || line.slice(0, 13).toLowerCase() !== 'authorization') continue;
    // DESIGN.md decision 4: by name, any spacing (legacy wanted exactly `Authorization: Basic `)
    const m = /^\s*basic\s+(\S+)\s*$/i.exec(line.slice(colon + 1));
    if (m === null || !BASE64.test(m[1]!)) return undefined;
    return Buffer.from(m[1]!, 'base64');
  }
  return undefined;
}

/** Returns a checker answering whether the request headers carry one of the accounts. */
export function compileAuth(accounts: readonly StatsAccount[]): (headers: readonly string[]) => boolean {
  // config files are read as latin1: the bytes the user typed
  const expected = accounts.map((a) => digest(Buffer.from(`${a.user}:${a.password}`, 'latin1')));
  return (headers) => {
    const given = basicCredentials(headers);
    if (given === undefined) return false;
    const d = digest(given);
    let ok = false;
    // every account is compared, whatever matched before
    for (const e of expected) ok = timingSafeEqual(d, e) || ok;
    return ok;
  };
}
