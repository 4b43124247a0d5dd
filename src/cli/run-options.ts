// What the run path needs from the command line (spec §2). The argument parser (cli/args.ts)
// produces a superset of this; only these fields are read here.
export interface RunOptions {
  /** `-f` files, in order. */
  readonly configFiles: readonly string[];
  /** `-D` */
  readonly daemon: boolean;
  /** `-db`: foreground, cancels daemon/quiet/nbproc from the configuration. */
  readonly foreground: boolean;
  /** `-d` */
  readonly debug: boolean;
  /** `-q` */
  readonly quiet: boolean;
  /** `-V` */
  readonly verbose: boolean;
  /** `-p` */
  readonly pidfile: string | undefined;
  /** `-n` */
  readonly maxconn: number | undefined;
  /** `-N` */
  readonly defaultMaxconn: number | undefined;
  /** `-m` (MB) */
  readonly memoryLimitMb: number | undefined;
  /** `-sf` pids (finish) */
  readonly finishPids: readonly number[];
  /** `-st` pids (terminate) */
  readonly terminatePids: readonly number[];
  /** `-W` / `-Ws` */
  readonly masterWorker: boolean;
  /** `--log-format json` */
  readonly logFormat?: 'legacy' | 'json';
}
