// The modules the process manager drives, in one place: the configuration parser, the runtime
// and the SIGHUP dump.
import type { Config, ParseResult } from '../config/model.js';
import { parseConfigFiles as parseFiles } from '../config/parser.js';
import { Runtime } from '../runtime/runtime.js';
import type { RuntimeOptions } from '../runtime/types.js';
import { dumpServerStates } from '../checks/dump.js';

export type RuntimeHandle = Runtime;

export async function parseConfigFiles(files: readonly string[]): Promise<ParseResult> {
  return parseFiles(files);
}

export async function createRuntime(config: Config, options: RuntimeOptions): Promise<RuntimeHandle> {
  return new Runtime(config, options);
}

export async function loadDump(): Promise<typeof dumpServerStates> {
  return dumpServerStates;
}
