// Privileges and limits (spec §4 uid/gid/user/group/chroot/ulimit-n, §13.5 steps 8-9): what Node
// can apply (setgid/setuid after binding) and an honest word for what it cannot (chroot, setrlimit).
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import type { GlobalSettings } from '../config/model.js';

export interface Identity {
  /** 0/undefined = unchanged. */
  readonly uid: number | undefined;
  readonly gid: number | undefined;
}

/** Finds `name` in an /etc/passwd- or /etc/group-style file; returns its numeric id (3rd field). */
export function lookupId(fileText: string, name: string): number | undefined {
  for (const line of fileText.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 3 && fields[0] === name && /^\d+$/.test(fields[2]!)) return Number(fields[2]);
  }
  return undefined;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The id NSS knows for `name` (`getent passwd|group name`): names from LDAP/sssd are accepted by
 * `-c` (which asks getent), so the start must find them too. undefined when unknown or no getent.
 */
export function getentId(db: 'passwd' | 'group', name: string): number | undefined {
  const r = spawnSync('getent', [db, name], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return undefined;
  return lookupId(r.stdout, name);
}

/**
 * uid/gid from the global section; `user`/`group` names resolved from the files, then through NSS
 * (`getent`) when the files are the system's. Throws the alert text.
 */
export function resolveIdentity(global: GlobalSettings, passwdPath = '/etc/passwd', groupPath = '/etc/group'): Identity {
  let uid = global.uid;
  let gid = global.gid;
  if (global.user !== undefined && !uid) {
    uid = lookupId(readOrEmpty(passwdPath), global.user) ?? (passwdPath === '/etc/passwd' ? getentId('passwd', global.user) : undefined);
    if (uid === undefined) throw new Error(`cannot find user id for '${global.user}'.`);
  }
  if (global.group !== undefined && !gid) {
    gid = lookupId(readOrEmpty(groupPath), global.group) ?? (groupPath === '/etc/group' ? getentId('group', global.group) : undefined);
    if (gid === undefined) throw new Error(`cannot find group id for '${global.group}'.`);
  }
  return { uid: uid || undefined, gid: gid || undefined };
}

/**
 * setgid then setuid (spec §13.5 step 8). Supplementary groups are reset to the new gid, so the
 * process keeps none of root's groups. Throws the legacy alert text on failure.
 */
export function dropPrivileges(identity: Identity): void {
  if (identity.gid !== undefined) {
    try {
      if (process.setgroups && process.getuid?.() === 0) process.setgroups([identity.gid]);
      process.setgid!(identity.gid);
    } catch {
      throw new Error(`[tsproxy.main()] Cannot set gid ${identity.gid}.`);
    }
  }
  if (identity.uid !== undefined) {
    try {
      process.setuid!(identity.uid);
    } catch {
      throw new Error(`[tsproxy.main()] Cannot set uid ${identity.uid}.`);
    }
  }
}

/**
 * `chroot`: Node has no chroot(2). We do not ignore it silently: a missing directory is the legacy
 * fatal error, an existing one gets a warning saying the process keeps the full filesystem view
 * and how systemd does it instead. Returns [alerts, warnings].
 */
export function checkChroot(dir: string | undefined): { alert?: string; warning?: string } {
  if (dir === undefined) return {};
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) return { alert: `[tsproxy.main()] Cannot chroot(${dir}).` };
  return {
    warning:
      `chroot ${dir} is not applied: Node.js cannot chroot(), the process keeps the whole filesystem ` +
      `view. Use systemd's RootDirectory=/ProtectSystem= or a container instead (docs/operations.md).`,
  };
}

/** The soft "Max open files" limit of this process, from /proc/self/limits. */
export function currentFdLimit(limitsText: string = readOrEmpty('/proc/self/limits')): number | undefined {
  for (const line of limitsText.split('\n')) {
    if (!line.startsWith('Max open files')) continue;
    const soft = line.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return Number.POSITIVE_INFINITY;
    if (soft !== undefined && /^\d+$/.test(soft)) return Number(soft);
  }
  return undefined;
}

/**
 * `ulimit-n` and the automatic fd need (spec §13.5 step 9). Node cannot call setrlimit (Node
 * itself already raises the soft limit to the hard one at startup), so we only warn.
 */
export function fdLimitWarnings(ulimitN: number | undefined, maxconn: number, listeners: number, checks: number, limit: number | undefined): string[] {
  if (limit === undefined) return [];
  const out: string[] = [];
  if (ulimitN !== undefined && limit < ulimitN) {
    out.push(`Cannot raise FD limit to ${ulimitN}.`);
    out.push(`(Node.js cannot set rlimits: raise it before starting, e.g. systemd LimitNOFILE=${ulimitN} or 'ulimit -n ${ulimitN}'.)`);
  }
  const maxsock = 10 + listeners + checks + 2 * maxconn;
  const effective = ulimitN !== undefined ? Math.min(ulimitN, limit) : limit;
  if (effective < maxsock) {
    out.push(
      `[tsproxy.main()] FD limit (${effective}) too low for maxconn=${maxconn}/maxsock=${maxsock}. ` +
        `Please raise 'ulimit-n' to ${maxsock} or more to avoid any trouble.`,
    );
  }
  return out;
}
