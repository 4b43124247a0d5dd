// Adapts the shipped keepalived example (examples/keepalived/keepalived.conf) to a lab's
// addresses: interface, state, priority, the virtual address and any unicast peers. Everything
// else (the vrrp_script that runs `killall -0 tsproxy`, its interval and weight, advert_int)
// is kept, so the HA test exercises the example as an operator would deploy it. Pure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './netns-lab.js';

export const EXAMPLE_KEEPALIVED = join(REPO_ROOT, 'examples', 'keepalived', 'keepalived.conf');

export interface KeepalivedNode {
  readonly state: 'MASTER' | 'BACKUP';
  readonly priority: number;
  readonly iface: string;
  /** The virtual address with its prefix length, e.g. 10.213.0.1/24. */
  readonly vip: string;
  readonly selfAddress: string;
  readonly peerAddresses: readonly string[];
}

/** The shipped example's text and path. */
export function keepalivedSource(): { text: string; path: string } {
  return { text: readFileSync(EXAMPLE_KEEPALIVED, 'utf8'), path: EXAMPLE_KEEPALIVED };
}

/** Replaces the contents of every `<keyword> { ... }` block (one level deep) with `lines`. */
function replaceBlock(text: string, keyword: string, lines: readonly string[]): string {
  return text.replace(new RegExp(`(^[ \\t]*${keyword}[ \\t]*\\{)[^}]*(\\})`, 'gm'), (_m, open: string, close: string) => {
    const indent = /^[ \t]*/.exec(open)?.[0] ?? '';
    return `${open}\n${lines.map((l) => `${indent}    ${l}`).join('\n')}\n${indent}${close}`;
  });
}

export function adaptKeepalivedConf(text: string, node: KeepalivedNode): string {
  if (!/killall\s+-0\s+tsproxy/.test(text)) throw new Error('the keepalived example has no `killall -0 tsproxy` vrrp_script');
  let out = text;
  out = out.replace(/^([ \t]*state[ \t]+)(MASTER|BACKUP)\b/gm, `$1${node.state}`);
  out = out.replace(/^([ \t]*priority[ \t]+)\d+/gm, `$1${node.priority}`);
  out = out.replace(/^([ \t]*interface[ \t]+)\S+/gm, `$1${node.iface}`);
  out = out.replace(/^([ \t]*unicast_src_ip[ \t]+)\S+/gm, `$1${node.selfAddress}`);
  // The keepalived_script user does not exist on a bare machine; the lab runs scripts as root.
  out = out.replace(/^([ \t]*script_user[ \t]+)\S+.*$/gm, '$1root');
  // notify scripts name files of the operator's machine: not part of what is tested here.
  out = out.replace(/^[ \t]*notify(_master|_backup|_fault|_stop)?[ \t]+.*$/gm, '');
  out = replaceBlock(out, 'virtual_ipaddress', [`${node.vip} dev ${node.iface}`]);
  out = replaceBlock(out, 'unicast_peer', node.peerAddresses);
  return out;
}
