// Reading the configuration for a start or a reload: the parse result, or the alert lines HAProxy
// prints for a bad file (`parsing [file:line] : …` then `Error reading configuration file : …`).
import { ConfigError } from '../config/errors.js';
import type { Config, ConfigDiagnostic } from '../config/model.js';
import { configErrorLines } from './check.js';
import { parseConfigFiles } from './engine.js';

export type ConfigRead =
  | { readonly ok: true; readonly config: Config; readonly diagnostics: readonly ConfigDiagnostic[] }
  | {
      readonly ok: false;
      /** Diagnostics printed before the fatal line (warnings stay warnings). */
      readonly diagnostics: readonly ConfigDiagnostic[];
      /** The fatal line, the other post-parse errors, and `Error reading configuration file : …`. */
      readonly alerts: readonly string[];
    };

export async function readConfig(files: readonly string[]): Promise<ConfigRead> {
  try {
    const result = await parseConfigFiles(files);
    return { ok: true, config: result.config, diagnostics: result.diagnostics };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, diagnostics: err.diagnostics, alerts: configErrorLines(err) };
    const file = files[files.length - 1] ?? '';
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, diagnostics: [], alerts: [message, `Error reading configuration file : ${file}`] };
  }
}
