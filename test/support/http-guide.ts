// The architecture guide's HTTP setups on loopback, driven through the real bin/tsproxy: four
// web servers on 127.0.0.11-14 sharing one port (the guide's 192.168.1.11-14:80), recording the
// exact bytes of every request, and the guide's configuration with only addresses replaced.
import { ProcessJanitor, waitForPort, writeConfig, type TsproxyProcess } from './process-harness.js';
import { okReply, startHttpBackend, type HttpBackend, type ReceivedRequest, type Reply } from './http-harness.js';
import { freePort } from './ports.js';

export const WEB_HOSTS = ['127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14'] as const;
export const LETTERS = ['A', 'B', 'C', 'D'] as const;

export interface GuideFarm {
  readonly servers: HttpBackend[];
  readonly port: number;
  /** Requests of server i that are not health checks. */
  traffic(i: number): ReceivedRequest[];
  close(): Promise<void>;
}

/** Answers checks with 200 and every other request through `handler(letter, req)`. */
export async function startFarm(
  handler: (letter: string, req: ReceivedRequest) => Reply = (l, req) => okReply(l, req),
  checkReply: (letter: string, req: ReceivedRequest) => Reply = () => 'HTTP/1.0 200 OK\r\n\r\n',
  fixedPort?: number,
): Promise<GuideFarm> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = fixedPort ?? (await freePort(WEB_HOSTS[0]));
    const servers: HttpBackend[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const letter = LETTERS[i]!;
        servers.push(
          await startHttpBackend(letter, (req) => (isCheck(req) ? checkReply(letter, req) : handler(letter, req)), {
            host: WEB_HOSTS[i],
            port,
          }),
        );
      }
      return {
        servers,
        port,
        traffic: (i) => servers[i]!.requests.filter((r) => !isCheck(r)),
        close: async () => {
          await Promise.all(servers.map((s) => s.close()));
        },
      };
    } catch {
      await Promise.all(servers.map((s) => s.close()));
    }
  }
  throw new Error('no common free port on 127.0.0.11-14');
}

export function isCheck(req: ReceivedRequest): boolean {
  return (req.method === 'HEAD' || req.method === 'OPTIONS') && !req.path.startsWith('/URI');
}

export interface RunningProxy {
  readonly process: TsproxyProcess;
  readonly port: number;
  stop(): void;
}

/** Writes `config` and starts `bin/tsproxy -f <file>` in the foreground; waits for `port`. */
export async function startTsproxy(config: string, port: number): Promise<RunningProxy> {
  const janitor = new ProcessJanitor();
  const dir = janitor.tempDir();
  const file = writeConfig(dir, 'haproxy.cfg', config);
  const p = janitor.start(['-f', file]);
  try {
    await waitForPort(port, 10000);
  } catch (e) {
    janitor.killAll();
    throw new Error(`tsproxy did not listen on ${port}: ${(e as Error).message}\nstderr: ${p.stderr()}`);
  }
  return { process: p, port, stop: () => janitor.killAll() };
}
