// Syslog transport (spec §12.1): legacy RFC 3164 framing `<PRI>Mmm dd hh:mm:ss tag[pid]: msg\n`
// (no hostname, whole packet capped at 1024 bytes, last byte forced to `\n`) and a UDP sender
// that never blocks nor throws: one socket per address family, errors swallowed and counted.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns';
import { isIP } from 'node:net';

/** Legacy MAX_SYSLOG_LEN: the whole datagram, header included. */
export const MAX_SYSLOG_BYTES = 1024;
/** Datagrams handed to the kernel but not yet acknowledged by libuv: beyond this, drop (a stalled socket must not eat memory). */
export const MAX_PENDING_DATAGRAMS = 4096;
/** Environment variable that sets the syslog tag (program name) when no option does. */
export const TAG_ENV = 'TSPROXY_SYSLOG_TAG';
export const DEFAULT_TAG = 'tsproxy';

export function syslogPriority(facility: number, level: number): number {
  return facility * 8 + level;
}

/** `tag[pid]: ` — the constant part of every header. */
export function syslogTagPart(tag: string, pid: number): string {
  return `${tag}[${pid}]: `;
}

/** The tag: explicit option, else $TSPROXY_SYSLOG_TAG, else `tsproxy`. */
export function resolveTag(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option || env[TAG_ENV] || DEFAULT_TAG;
}

// eslint-disable-next-line no-control-regex
const WIDE = /[^\x00-\xff]/;

/**
 * Text → wire bytes. Log text is latin1 (one char per wire byte, as the engines decode heads),
 * so it goes out as the bytes that came in; text with wider chars (a UTF-8 config name) as UTF-8.
 */
export function logBytes(text: string): Buffer {
  return Buffer.from(text, WIDE.test(text) ? 'utf8' : 'latin1');
}

/**
 * One datagram: `<PRI>` + `Mmm dd hh:mm:ss tag[pid]: ` + message + `\n` (added when missing),
 * cut to 1024 bytes with the last byte forced to `\n` as legacy did.
 */
export function frameSyslog(priPrefix: string, timestampAndTag: string, message: string): Buffer {
  const text = priPrefix + timestampAndTag + message + (message.endsWith('\n') ? '' : '\n');
  const buf = logBytes(text);
  if (buf.length <= MAX_SYSLOG_BYTES) return buf;
  const cut = buf.subarray(0, MAX_SYSLOG_BYTES);
  cut[MAX_SYSLOG_BYTES - 1] = 0x0a;
  return cut;
}

/** The `<PRI>` strings for one facility, indexed by level 0..7, built once per target. */
export function priPrefixes(facility: number): readonly string[] {
  const out: string[] = [];
  for (let level = 0; level < 8; level++) out.push(`<${syslogPriority(facility, level)}>`);
  return out;
}

/** A UDP destination with its address resolved (or being resolved, or unresolvable). */
export interface UdpDestination {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** The IP literal to send to; undefined while resolving or when resolution failed. */
  address: string | undefined;
  /** A socket connected to this destination once ready: sends skip the per-datagram address lookup. */
  connected: UdpSocket | undefined;
  /**
   * Until this time (Date.now() ms), send through the unconnected socket: the server refused
   * (ICMP port unreachable), and a connected socket would turn every later datagram into an
   * error object. Then the connected socket is tried again.
   */
  refusedUntilMs: number;
  /** This destination's send callback (one per destination, not per datagram). */
  readonly onSent: (err: Error | null) => void;
}

/** How long a refusing log server is written to without a connected socket. */
export const REFUSED_BACKOFF_MS = 1000;

export interface SyslogSenderStats {
  readonly sent: number;
  /** Not sent: closed sender, unresolved destination, too many pending datagrams. */
  readonly dropped: number;
  /** Socket or send errors (unreachable network, ICMP port unreachable, …). */
  readonly errors: number;
}

/**
 * Owns the UDP sockets. Legacy used one unbound socket per process; here each destination gets
 * its own connected socket (Node's send on an unconnected socket costs an address lookup per
 * datagram), and one unconnected socket per family carries the datagrams sent before that
 * connect completes. All sockets are unref'd: they never keep the process alive. Shared by the
 * proxy loggers of a runtime when it passes one; otherwise each logger owns its own.
 */
export class SyslogSender {
  private udp4: UdpSocket | undefined;
  private udp6: UdpSocket | undefined;
  private readonly destinations = new Map<string, UdpDestination>();
  /** Connected (or connecting) per-destination sockets, all closed by close(). */
  private readonly connectedSockets = new Set<UdpSocket>();
  private pending = 0;
  private closed = false;
  private sentCount = 0;
  private droppedCount = 0;
  private errorCount = 0;
  // for the unconnected sockets: one bound callback for every send, no closure per datagram
  private readonly onSent = (err: Error | null): void => {
    this.pending--;
    if (err) this.errorCount++;
    else this.sentCount++;
  };
  private readonly onSocketError = (): void => {
    this.errorCount++;
  };

  /** Prepares a destination (shared when several targets name the same one); a host name is looked up once, in the background. */
  destination(host: string, port: number, family: 4 | 6): UdpDestination {
    const key = `${family}|${host}|${port}`;
    const known = this.destinations.get(key);
    if (known) return known;
    const dest: UdpDestination = {
      host,
      port,
      family,
      address: isIP(host) ? host : undefined,
      connected: undefined,
      refusedUntilMs: 0,
      onSent: (err: Error | null): void => {
        this.pending--;
        if (err === null) this.sentCount++;
        else {
          this.errorCount++;
          if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') dest.refusedUntilMs = Date.now() + REFUSED_BACKOFF_MS;
        }
      },
    };
    this.destinations.set(key, dest);
    if (dest.address !== undefined) this.connect(dest);
    else {
      try {
        lookup(host, { family }, (err, address) => {
          if (err) this.errorCount++;
          else if (!this.closed) {
            dest.address = address;
            this.connect(dest);
          }
        });
      } catch {
        this.errorCount++;
      }
    }
    return dest;
  }

  send(dest: UdpDestination, datagram: Buffer): void {
    if (this.closed || dest.address === undefined || this.pending >= MAX_PENDING_DATAGRAMS) {
      this.droppedCount++;
      return;
    }
    this.pending++;
    try {
      if (dest.connected !== undefined && (dest.refusedUntilMs === 0 || this.backoffOver(dest))) {
        dest.connected.send(datagram, dest.onSent);
      } else {
        const socket = this.socketFor(dest.family);
        if (socket === undefined) {
          this.pending--;
          this.droppedCount++;
          return;
        }
        socket.send(datagram, dest.port, dest.address, this.onSent);
      }
    } catch {
      // synchronous throws (bad port, socket gone) must never reach the traffic path
      this.pending--;
      this.errorCount++;
    }
  }

  private backoffOver(dest: UdpDestination): boolean {
    if (Date.now() < dest.refusedUntilMs) return false;
    dest.refusedUntilMs = 0;
    return true;
  }

  stats(): SyslogSenderStats {
    return { sent: this.sentCount, dropped: this.droppedCount, errors: this.errorCount };
  }

  /** Closes the sockets; later sends are dropped. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const sockets: (UdpSocket | undefined)[] = [this.udp4, this.udp6, ...this.connectedSockets];
    for (const d of this.destinations.values()) d.connected = undefined;
    this.connectedSockets.clear();
    for (const s of sockets) {
      if (s === undefined) continue;
      try {
        s.close();
      } catch {
        /* already closed */
      }
    }
    this.udp4 = this.udp6 = undefined;
  }

  private connect(dest: UdpDestination): void {
    const address = dest.address;
    if (address === undefined) return;
    let socket: UdpSocket;
    try {
      socket = createSocket(dest.family === 6 ? 'udp6' : 'udp4');
      socket.on('error', this.onSocketError);
      socket.unref();
      this.connectedSockets.add(socket);
      socket.connect(dest.port, address, () => {
        if (!this.closed) dest.connected = socket;
      });
    } catch {
      // a failed connect leaves the destination on the unconnected socket
      this.errorCount++;
    }
  }

  private socketFor(family: 4 | 6): UdpSocket | undefined {
    let socket = family === 6 ? this.udp6 : this.udp4;
    if (socket !== undefined) return socket;
    try {
      socket = createSocket(family === 6 ? 'udp6' : 'udp4');
      socket.on('error', this.onSocketError);
      socket.unref();
    } catch {
      this.errorCount++;
      return undefined;
    }
    if (family === 6) this.udp6 = socket;
    else this.udp4 = socket;
    return socket;
  }
}
