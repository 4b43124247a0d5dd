// The HA test adapts the shipped keepalived example to its lab; the adaptation must keep the
// operator's vrrp_script and timings and change only addresses, interface, state and priority.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adaptKeepalivedConf, keepalivedSource } from '../support/netns-keepalived.js';

const node = { state: 'BACKUP' as const, priority: 100, iface: 'eth0', vip: '10.213.0.1/24', selfAddress: '10.213.0.4', peerAddresses: ['10.213.0.3'] };

const TYPICAL = `global_defs {
    router_id LB1
    script_user keepalived_script
    enable_script_security
}
vrrp_script chk_tsproxy {
    script "killall -0 tsproxy"   # cheaper than pidof
    interval 2
    weight 2
}
vrrp_instance VI_1 {
    state MASTER
    interface ens192
    virtual_router_id 51
    priority 150
    advert_int 1
    unicast_src_ip 192.168.1.3
    unicast_peer {
        192.168.1.4
    }
    virtual_ipaddress {
        192.168.1.1/24 dev ens192
    }
    track_script {
        chk_tsproxy
    }
    notify_master "/usr/local/bin/takeover.sh master"
}
`;

test('addresses, interface, state and priority follow the lab; the check is kept', () => {
  const out = adaptKeepalivedConf(TYPICAL, node);
  assert.match(out, /^\s+state BACKUP$/m);
  assert.match(out, /^\s+priority 100$/m);
  assert.match(out, /^\s+interface eth0$/m);
  assert.match(out, /^\s+unicast_src_ip 10\.213\.0\.4$/m);
  assert.match(out, /unicast_peer \{\n\s+10\.213\.0\.3\n\s+\}/);
  assert.match(out, /virtual_ipaddress \{\n\s+10\.213\.0\.1\/24 dev eth0\n\s+\}/);
  assert.match(out, /script "killall -0 tsproxy"/);
  assert.match(out, /^\s+interval 2$/m);
  assert.match(out, /^\s+weight 2$/m);
  assert.match(out, /^\s+script_user root$/m);
  assert.doesNotMatch(out, /192\.168\.1\.|ens192|notify_master/);
});

test('an example without the tsproxy check is refused', () => {
  assert.throws(() => adaptKeepalivedConf(TYPICAL.replace('killall -0 tsproxy', 'pidof haproxy'), node), /killall -0 tsproxy/);
});

test('the configuration the HA test uses adapts cleanly', () => {
  const out = adaptKeepalivedConf(keepalivedSource().text, node);
  assert.match(out, /killall -0 tsproxy/);
  assert.match(out, /10\.213\.0\.1\/24 dev eth0/);
});
