// The texts a server state change produces (spec §8.4, 1.2.13+ wording), built from the counts
// the runtime returns from setUp()/setDown(). Pure: the scheduler decides where they go.
import type { StateChangeCounts } from '../runtime/types.js';

/** `Running on backup.` is due when backups remain but no active server does. */
function runningOnBackup(counts: StateChangeCounts): string {
  return counts.backupLeft > 0 && counts.activeLeft === 0 ? ' Running on backup.' : '';
}

function serverLabel(proxyName: string, serverName: string, backup: boolean): string {
  return `${backup ? 'Backup Server' : 'Server'} ${proxyName}/${serverName}`;
}

export function serverDownMessage(proxyName: string, serverName: string, backup: boolean, counts: StateChangeCounts): string {
  return (
    `${serverLabel(proxyName, serverName, backup)} is DOWN. ${counts.activeLeft} active and ${counts.backupLeft} backup servers left.` +
    `${runningOnBackup(counts)} ${counts.sessionsActive} sessions active, ${counts.requeued} requeued, ${counts.remainingInQueue} remaining in queue.`
  );
}

export function serverUpMessage(proxyName: string, serverName: string, backup: boolean, counts: StateChangeCounts): string {
  return (
    `${serverLabel(proxyName, serverName, backup)} is UP. ${counts.activeLeft} active and ${counts.backupLeft} backup servers online.` +
    `${runningOnBackup(counts)} ${counts.requeued} sessions requeued, ${counts.remainingInQueue} total in queue.`
  );
}

export function noServerMessage(proxyName: string): string {
  return `Proxy ${proxyName} has no server available !`;
}

/** A DOWN that leaves neither an active nor a backup server also raises the "no server" emergency. */
export function leavesNoServer(counts: StateChangeCounts): boolean {
  return counts.activeLeft === 0 && counts.backupLeft === 0;
}
