// What a check sends and which replies count as success (spec §8.2, §8.3): the HTTP status-line
// rule of `option httpchk` and the SSLv3 CLIENT HELLO of `option ssl-hello-chk`. Pure functions.

const HTTP_1_PREFIX = Buffer.from('HTTP/1.', 'latin1');

/**
 * `option httpchk` success rule, applied to the bytes of the first read only: at least 13 bytes,
 * starting with `HTTP/1.`, and '2' or '3' as the 10th byte (the first status digit).
 * legacy: nothing else is looked at — `HTTP/1.0 2000` passes, a 12-byte `HTTP/1.0 200` fails.
 */
export function httpCheckReplyOk(firstRead: Uint8Array): boolean {
  if (firstRead.length < 13) return false;
  for (let i = 0; i < HTTP_1_PREFIX.length; i++) if (firstRead[i] !== HTTP_1_PREFIX[i]) return false;
  const digit = firstRead[9];
  return digit === 0x32 /* '2' */ || digit === 0x33 /* '3' */;
}

/** `option ssl-hello-chk` success rule: at least 5 bytes, an SSL alert (0x15) or handshake (0x16) record. */
export function sslHelloReplyOk(firstRead: Uint8Array): boolean {
  return firstRead.length >= 5 && (firstRead[0] === 0x15 || firstRead[0] === 0x16);
}

/** Total size of the check's CLIENT HELLO record. */
export const SSL_HELLO_LENGTH = 126;
/** Offset of the 4-byte gmt_unix_time field inside the record. */
export const SSL_HELLO_TIME_OFFSET = 11;
/** The 28 "random" bytes legacy sends, so that the server's logs show who is probing. */
export const SSL_HELLO_RANDOM = 'HAPROXYSSLCHK\nHAPROXYSSLCHK\n';

/** The 39 cipher suites offered: 0x0001…0x001B and 0x002F…0x003A (RSA/DH, DES/3DES/RC4/AES). */
function helloCipherSuites(): number[] {
  const suites: number[] = [];
  for (let c = 0x01; c <= 0x1b; c++) suites.push(c);
  for (let c = 0x2f; c <= 0x3a; c++) suites.push(c);
  return suites;
}

/**
 * The SSLv3 CLIENT HELLO record sent by `option ssl-hello-chk`, with `unixTimeS` in bytes 11–14.
 * Layout (SSL 3.0 / RFC 2246 A.3, A.4): record header (type 0x16, version 3.0, length), handshake
 * header (CLIENT HELLO, 24-bit length), client version 3.0, random (time + 28 bytes), empty
 * session id, cipher suites, one NULL compression method.
 */
export function buildSslClientHello(unixTimeS: number): Buffer {
  const suites = helloCipherSuites();
  const out = Buffer.alloc(SSL_HELLO_LENGTH);
  let p = 0;
  out[p++] = 0x16; // record type: handshake
  out[p++] = 0x03; // record version 3.0
  out[p++] = 0x00;
  out.writeUInt16BE(SSL_HELLO_LENGTH - 5, p); // record body length
  p += 2;
  out[p++] = 0x01; // handshake type: CLIENT HELLO
  const bodyLength = SSL_HELLO_LENGTH - 9;
  out[p++] = (bodyLength >> 16) & 0xff; // 24-bit handshake length
  out[p++] = (bodyLength >> 8) & 0xff;
  out[p++] = bodyLength & 0xff;
  out[p++] = 0x03; // client version 3.0
  out[p++] = 0x00;
  out.writeUInt32BE(unixTimeS >>> 0, p); // gmt_unix_time, at SSL_HELLO_TIME_OFFSET
  p += 4;
  p += out.write(SSL_HELLO_RANDOM, p, 'latin1');
  out[p++] = 0x00; // session id length: none
  out.writeUInt16BE(suites.length * 2, p);
  p += 2;
  for (const suite of suites) {
    out.writeUInt16BE(suite, p);
    p += 2;
  }
  out[p++] = 0x01; // one compression method
  out[p++] = 0x00; // NULL
  if (p !== SSL_HELLO_LENGTH) throw new Error(`ssl hello layout is ${p} bytes, expected ${SSL_HELLO_LENGTH}`);
  return out;
}
