// Free-port allocation for tests: bind port 0 on the address, read the port back, close.
import net from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host, port: 0 }, () => {
      const a = s.address();
      const port = a !== null && typeof a === 'object' ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports on `host`. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count * 10 && out.length < count; i++) {
    const p = await freePort(host);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/**
 * A run of `count` consecutive free ports (for `bind :p-q` ranges), searched below Linux's
 * ephemeral range (32768+) where the many short-lived test connections do not land.
 */
export async function freePortRange(count: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20000 + Math.floor(Math.random() * (32000 - 20000 - count));
    if (!(await canBind(host, base))) continue;
    let ok = true;
    for (let i = 1; i < count && ok; i++) ok = await canBind(host, base + i);
    if (ok) return base;
  }
  throw new Error('no free port range');
}

export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ host, port }, () => s.close(() => resolve(true)));
  });
}
