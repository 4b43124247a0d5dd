// docs/configuration.md documents every keyword and option the parser accepts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ROOT } from '../support/config-cli.js';

const GLOBAL = ['daemon', 'quiet', 'debug', 'nbproc', 'maxconn', 'uid', 'gid', 'user', 'group', 'chroot', 'pidfile', 'ulimit-n', 'log', 'stats', 'stats socket', 'noepoll', 'nopoll'];
const LISTEN = [
  'listen', 'defaults', 'bind', 'mode', 'disabled', 'enabled', 'maxconn', 'fullconn', 'grace', 'contimeout', 'clitimeout', 'srvtimeout', 'retries',
  'balance', 'balance source', 'dispatch', 'transparent', 'redispatch', 'redisp', 'source', 'server', 'cookie', 'appsession', 'capture cookie',
  'capture request header', 'capture response header', 'log global', 'monitor-net', 'monitor-uri', 'errorloc', 'errorloc302', 'errorloc303', 'errorfile',
  'stats enable', 'stats uri', 'stats realm', 'stats auth', 'stats scope', 'stats refresh', 'stats hide-version', 'stats prometheus',
  'reqadd', 'reqrep', 'reqirep', 'cliexp', 'reqdel', 'reqidel', 'reqdeny', 'reqideny', 'reqallow', 'reqiallow', 'reqpass', 'reqipass',
  'rspadd', 'rsprep', 'rspirep', 'srvexp', 'rspdel', 'rspidel', 'rspdeny', 'rspideny',
];
const OPTIONS = ['httpchk', 'ssl-hello-chk', 'httpclose', 'forceclose', 'forwardfor', 'httplog', 'tcplog', 'dontlognull', 'logasap', 'persist', 'redispatch', 'checkcache', 'tcpka', 'clitcpka', 'srvtcpka', 'allbackups', 'abortonclose', 'keepalive', 'transparent'];
const SERVER = ['cookie', 'check', 'inter', 'rise', 'fall', 'port', 'addr', 'backup', 'source', 'weight', 'maxconn', 'minconn'];

test('docs/configuration.md names every keyword, option and server option', () => {
  const doc = readFileSync(`${ROOT}/docs/configuration.md`, 'utf8');
  const missing = [...GLOBAL, ...LISTEN, ...OPTIONS, ...SERVER].filter((k) => !doc.includes('`' + k));
  assert.deepEqual(missing, []);
});
