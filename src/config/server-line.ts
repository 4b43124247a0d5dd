// `server <name> <addr>[:<port>] [options…]` (spec §5.4): one backend server and its check
// settings. Options are order-free and each consumes its argument.
import { isIP } from 'node:net';
import type { ServerConfig, SourceAddress } from './model.js';
import { parseServerAddress, parseSourceAddress } from './address.js';
import { intArg, parseTimeMs, type LineContext } from './values.js';

const SUPPORTED =
  "'backup', 'cookie', 'check', 'inter', 'rise', 'fall', 'port', 'addr', 'source', 'minconn', 'maxconn' and 'weight'";

export function parseServerLine(ctx: LineContext): ServerConfig {
  const name = ctx.args[1];
  const addrText = ctx.args[2];
  if (name === undefined || name === '' || addrText === undefined || addrText === '') {
    ctx.fail(`'server' expects <name> and <addr>[:<port>] as arguments.`, 'server');
  }
  const address = parseServerAddress(ctx, addrText);
  let cookie: string | undefined;
  let check = false;
  let interMs = 2000;
  let rise = 2;
  let fall = 3;
  let checkPort: number | undefined;
  let checkAddr: string | undefined;
  let backup = false;
  let weight = 1;
  let maxconn = 0;
  let minconn = 0;
  let source: SourceAddress | undefined;
  const need = (i: number, what: string): string => {
    const v = ctx.args[i + 1];
    if (v === undefined || v === '') ctx.fail(`'${ctx.args[i]}' expects ${what} as argument (server '${name}').`, 'server');
    return v;
  };
  for (let i = 3; i < ctx.args.length; i++) {
    const opt = ctx.args[i] as string;
    switch (opt) {
      case 'cookie':
        cookie = need(i, 'a cookie value');
        i++;
        break;
      case 'check':
        check = true;
        break;
      case 'backup':
        backup = true;
        break;
      case 'inter': {
        need(i, 'a time in milliseconds');
        const v = parseTimeMs(ctx.args[i + 1]);
        if (v === undefined || v === 0) ctx.fail(`'inter' expects a strictly positive time in milliseconds (server '${name}').`, 'server');
        interMs = v;
        i++;
        break;
      }
      case 'rise':
      case 'fall': {
        need(i, 'an integer');
        const v = intArg(ctx, i + 1, opt);
        if (v === 0) ctx.fail(`'${opt}' expects a strictly positive integer (server '${name}').`, 'server');
        if (opt === 'rise') rise = v;
        else fall = v;
        i++;
        break;
      }
      case 'port': {
        need(i, 'a port number');
        const v = intArg(ctx, i + 1, opt);
        if (v < 1 || v > 65535) ctx.fail(`'port' : invalid check port '${v}' (server '${name}').`, 'server');
        checkPort = v;
        i++;
        break;
      }
      case 'addr': {
        // tsproxy accepts the check address keyword of later releases.
        const word = need(i, 'an address');
        // A bare IPv6 literal (`addr ::1`) has no port: don't split it at its last colon.
        const a = isIP(word) !== 0 ? { host: word, port: 0 } : parseSourceAddress(ctx, word);
        if (a.port !== 0) ctx.fail(`'addr' expects an address without a port; the check port is set with 'port' (server '${name}').`, 'server');
        checkAddr = a.host;
        i++;
        break;
      }
      case 'weight': {
        need(i, 'an integer');
        const v = intArg(ctx, i + 1, opt);
        if (v < 1 || v > 256) ctx.fail(`weight of server ${name} is not within 1 and 256 (${v}).`, 'server');
        weight = v;
        i++;
        break;
      }
      case 'maxconn':
        need(i, 'an integer');
        maxconn = intArg(ctx, i + 1, opt);
        i++;
        break;
      case 'minconn':
        need(i, 'an integer');
        minconn = intArg(ctx, i + 1, opt);
        i++;
        break;
      case 'source':
        // legacy text, without the server name.
        if (ctx.args[i + 1] === undefined || ctx.args[i + 1] === '') ctx.fail(`'source' expects <addr>[:<port>] as argument.`, 'server');
        source = parseSourceAddress(ctx, ctx.args[i + 1] as string);
        i++;
        break;
      default:
        ctx.fail(`server ${name} only supports options ${SUPPORTED}.`, 'server');
    }
  }
  if (check && address.port.kind === 'mapped' && checkPort === undefined) {
    // legacy: despite its wording this message aborts the parsing.
    ctx.fail(`server ${name} has neither service port nor check port. Check has been disabled.`, 'server');
  }
  if (minconn > maxconn && maxconn > 0) {
    ctx.warn(`server ${name} : 'minconn' (${minconn}) is above 'maxconn' (${maxconn}); 'maxconn' is used.`);
  }
  return Object.freeze({
    name,
    place: ctx.place,
    address,
    cookie,
    check,
    interMs,
    rise,
    fall,
    checkPort,
    checkAddr,
    backup,
    weight,
    maxconn,
    minconn,
    source,
  });
}
