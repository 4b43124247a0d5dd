// The runtime socket's command layer without the socket: splitting, weights, levels, errors and
// their effect on a real (not started) runtime's servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/parser.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { HELP_TEXT, infoUptime, parseWeight, runLine, splitCommands } from '../../src/stats/commands.js';
import { runtimeOptions } from '../support/runtime-config.js';

function setup(): Runtime {
  const { config } = parseConfigText(
    `
listen web 127.0.0.1:1
  mode http
  balance roundrobin
  server s1 127.0.0.1:2 weight 4 check
  server s2 127.0.0.1:3
`,
    'unit.cfg',
  );
  return new Runtime(config, runtimeOptions());
}

test('lines split on ; (\\; is literal) and commands on blanks', () => {
  assert.deepEqual(splitCommands('show info;show stat'), [['show', 'info'], ['show', 'stat']]);
  assert.deepEqual(splitCommands('  get  weight\tweb/s1 ;; '), [['get', 'weight', 'web/s1']]);
  assert.deepEqual(splitCommands('a\\;b c'), [['a;b', 'c']]);
  assert.deepEqual(splitCommands(''), []);
});

test('weights: absolute 0..256 or a percentage of the configured weight', () => {
  assert.equal(parseWeight('0', 4), 0);
  assert.equal(parseWeight('256', 4), 256);
  assert.equal(parseWeight('50%', 4), 2);
  assert.equal(parseWeight('100%', 4), 4);
  assert.equal(parseWeight('0%', 4), 0);
  assert.equal(parseWeight('33%', 4), 1);
  for (const bad of [undefined, '', '-1', '1.5', 'x', '%', '257', '101%', '1e3']) {
    assert.equal(typeof parseWeight(bad, 4), 'object', String(bad));
  }
});

test('state changes need level admin and act on the server', () => {
  const rt = setup();
  const s1 = rt.proxy('web')!.servers[0]!;
  for (const level of ['user', 'operator'] as const) {
    assert.equal(runLine('disable server web/s1', rt.stats.environment, level).output, 'Permission denied\n\n');
    assert.equal(runLine('set weight web/s1 1', rt.stats.environment, level).output, 'Permission denied\n\n');
  }
  assert.equal(s1.maintenance, false);
  assert.equal(runLine('disable server web/s1', rt.stats.environment, 'admin').output, '\n');
  assert.equal(s1.maintenance, true);
  assert.equal(s1.usable, false);
  assert.equal(runLine('enable server web/s1', rt.stats.environment, 'admin').output, '\n');
  assert.equal(s1.usable, true);
  assert.equal(runLine('set weight web/s1 50%; get weight web/s1', rt.stats.environment, 'admin').output, '\n2 (initial 4)\n\n');
  assert.equal(s1.weight, 2);
  assert.equal(runLine('get weight web/s1', rt.stats.environment, 'user').output, '2 (initial 4)\n\n');
});

test('show info, show stat and show servers state', () => {
  const rt = setup();
  const env = rt.stats.environment;
  const info = runLine('show info', env, 'user', env.startedMs + 3723000).output;
  assert.match(info, /^Name: tsproxy\nVersion: \S+\nNbproc: 1\nProcess_num: 1\nPid: \d+\nUptime: 0d 1h02m03s\nUptime_sec: 3723\n/);
  assert.ok(info.endsWith('\n\n'));
  const stat = runLine('show stat', env, 'user').output;
  assert.deepEqual(
    stat.split('\n').slice(1, -2).map((l) => l.split(',').slice(0, 2).join('/')),
    ['web/FRONTEND', 'web/s1', 'web/s2', 'web/BACKEND'],
  );
  runLine('disable server web/s2', env, 'admin');
  const state = runLine('show servers state', env, 'user').output.split('\n');
  assert.equal(state[0], '1');
  assert.match(state[1]!, /^# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight /);
  assert.match(state[2]!, /^1 web 1 s1 127\.0\.0\.1 2 0 4 4 \d+ 0 0 \d+ 6 0 0 0 - 2$/);
  assert.match(state[3]!, /^1 web 2 s2 127\.0\.0\.1 2 1 1 1 \d+ 0 0 \d+ 0 0 0 0 - 3$/);
  assert.equal(infoUptime(0), '0d 0h00m00s');
  assert.equal(infoUptime(90061), '1d 1h01m01s');
});

test('anything else gets the command list, quit stops, prompt toggles; nothing throws', () => {
  const rt = setup();
  const env = rt.stats.environment;
  for (const line of ['bogus', 'show', 'show nothing', 'get', 'set', 'set speed web/s1 3', 'enable', 'disable frontend web', '\u0000\u00ff']) {
    assert.equal(runLine(line, env, 'admin').output, `${HELP_TEXT}\n`, JSON.stringify(line));
  }
  assert.deepEqual(runLine('quit; show info', env, 'admin'), { output: '', togglePrompt: false, quit: true });
  assert.equal(runLine('prompt', env, 'admin').togglePrompt, true);
  assert.equal(runLine('prompt; prompt', env, 'admin').togglePrompt, false);
  assert.equal(runLine('', env, 'admin').output, '');
});

test('show stat <iid> <type> <sid> filters proxies, row types and servers', () => {
  const { config } = parseConfigText(
    `
listen one 127.0.0.1:1
  mode http
  balance roundrobin
  server a 127.0.0.1:2
  server b 127.0.0.1:3
listen two 127.0.0.1:4
  mode tcp
  balance roundrobin
  server c 127.0.0.1:5
`,
    'unit.cfg',
  );
  const env = new Runtime(config, runtimeOptions()).stats.environment;
  const names = (args: string) =>
    runLine(`show stat ${args}`, env, 'user')
      .output.split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split(',').slice(0, 2).join('/'));
  assert.deepEqual(names(''), ['one/FRONTEND', 'one/a', 'one/b', 'one/BACKEND', 'two/FRONTEND', 'two/c', 'two/BACKEND']);
  assert.deepEqual(names('-1 -1 -1'), names(''));
  assert.deepEqual(names('2 -1 -1'), ['two/FRONTEND', 'two/c', 'two/BACKEND']);
  assert.deepEqual(names('two -1 -1'), ['two/FRONTEND', 'two/c', 'two/BACKEND']);
  assert.deepEqual(names('-1 4 -1'), ['one/a', 'one/b', 'two/c']);
  assert.deepEqual(names('-1 3 -1'), ['one/FRONTEND', 'one/BACKEND', 'two/FRONTEND', 'two/BACKEND']);
  assert.deepEqual(names('1 4 2'), ['one/b']);
  assert.deepEqual(names('nope -1 -1'), []);
  for (const bad of ['1', '1 2', '1 x -1', '1 8 -1', '1 0 -1']) {
    assert.match(runLine(`show stat ${bad}`, env, 'user').output, /^Usage: show stat/, bad);
  }
});

test('set server <px>/<srv> state ready|maint and weight (the 1.6+ spelling)', () => {
  const rt = setup();
  const env = rt.stats.environment;
  const s2 = rt.proxy('web')!.servers[1]!;
  assert.equal(runLine('set server web/s2 state maint', env, 'operator').output, 'Permission denied\n\n');
  assert.equal(runLine('set server web/s2 state maint', env, 'admin').output, '\n');
  assert.equal(s2.maintenance, true);
  assert.equal(runLine('set server web/s2 state ready', env, 'admin').output, '\n');
  assert.equal(s2.maintenance, false);
  assert.equal(runLine('set server web/s2 weight 7', env, 'admin').output, '\n');
  assert.equal(s2.weight, 7);
  assert.match(runLine('set server web/s2 state drain', env, 'admin').output, /not supported by tsproxy/);
  assert.match(runLine('set server web/s2 state up', env, 'admin').output, /expects 'ready' or 'maint'/);
  assert.match(runLine('set server web/s2 addr 1.2.3.4', env, 'admin').output, /only supports/);
  assert.equal(runLine('set server web/zz state ready', env, 'admin').output, 'No such server.\n\n');
});
