// HAProxy's stderr line prefix: `[ALERT] DDD/HHMMSS (PID) : message`, where DDD is the 0-based
// day of the year (%03d) and HHMMSS the local time (spec §2).
export type StderrKind = 'ALERT' | 'WARNING';

export function legacyStderrLine(kind: StderrKind, message: string, now: Date = new Date(), pid: number = process.pid): string {
  const startOfYear = new Date(now.getFullYear(), 0, 1);
  const day = Math.floor((Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) - Date.UTC(startOfYear.getFullYear(), 0, 1)) / 86400000);
  const two = (n: number) => (n < 10 ? '0' : '') + n;
  const ddd = String(day).padStart(3, '0');
  return `[${kind}] ${ddd}/${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())} (${pid}) : ${message}\n`;
}
