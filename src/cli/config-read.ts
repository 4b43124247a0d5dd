// Reading the configuration for a start or a reload: the parse result, or the alert lines HAProxy
// prints for a bad file (`parsing [file:line] : …` then `Error reading configuration file : …`).
import { ConfigError } from '../config/errors.js';
import type { Config, ConfigDiagnostic } from '../config/model.js';
import { parseConfigFiles } from './engine.js';

export type ConfigRead =
  | { readonly ok: true; readonly config: Config; readonly diagnostics: readonly ConfigDiagnostic[] }
  | { readonly ok: false; readonly alerts: readonly string[] };

export async function readConfig(files: readonly string[]): Promise<ConfigRead> {
  try {
    const result = await parseConfigFiles(files);
    return { ok: true, config: result.config, diagnostics: result.diagnostics };
  } catch (err) {
    const file = err instanceof ConfigError ? err.file : (files[files.length - 1] ?? '');
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, alerts: [message, `Error reading configuration file : ${file}`] };
  }
}
