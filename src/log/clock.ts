// The two local-time renderings the logs use, each cached for the current second so the hot
// path formats a date at most once per second: the syslog header `Mmm dd hh:mm:ss` (RFC 3164,
// space-padded day) and the httplog/tcplog accept date `dd/Mmm/yyyy:HH:MM:SS`.

export const MONTHS: readonly string[] = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function two(n: number): string {
  return n < 10 ? '0' + n : '' + n;
}

/** `Mmm dd hh:mm:ss`, day space-padded (`Nov  5 08:01:02`), local time. */
export function syslogTimestamp(date: Date): string {
  const d = date.getDate();
  return `${MONTHS[date.getMonth()]} ${d < 10 ? ' ' + d : d} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** `dd/Mmm/yyyy:HH:MM:SS`, local time (no milliseconds: spec §12.3 for 1.2). */
export function acceptDate(date: Date): string {
  return `${two(date.getDate())}/${MONTHS[date.getMonth()]}/${date.getFullYear()}:${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/**
 * A one-entry cache per rendering: log lines arrive in bursts within the same second, and
 * accept dates of lines logged together are usually the same second too.
 */
export class LogClock {
  private syslogSecond = NaN;
  private syslogText = '';
  private acceptSecond = NaN;
  private acceptText = '';

  syslog(nowMs: number): string {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.syslogSecond) {
      this.syslogSecond = second;
      this.syslogText = syslogTimestamp(new Date(second * 1000));
    }
    return this.syslogText;
  }

  accept(acceptMs: number): string {
    const second = Math.floor(acceptMs / 1000);
    if (second !== this.acceptSecond) {
      this.acceptSecond = second;
      this.acceptText = acceptDate(new Date(second * 1000));
    }
    return this.acceptText;
  }
}
