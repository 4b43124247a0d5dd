// The `req*` / `rsp*` regex header rules (spec §9.3), pure: rules are tried in configuration
// order on one line (request/status line included) and only the first rule whose regex
// matches is applied to that line.
import type { HeaderRule, ReplacementPart } from '../config/model.js';

/** Deny/allow state of one request or response, carried from line to line. */
export interface RuleState {
  denied: boolean;
  allowed: boolean;
  /** Denied by `reqtarpit`: the 500 is held back for the tarpit delay. */
  tarpit: boolean;
}

export function newRuleState(): RuleState {
  return { denied: false, allowed: false, tarpit: false };
}

function expand(parts: readonly ReplacementPart[], m: RegExpExecArray): string {
  let out = '';
  for (const p of parts) out += typeof p === 'string' ? p : (m[p.group] ?? '');
  return out;
}

/**
 * Applies `rules` to `line`. Returns the (possibly replaced) line, or null if it is deleted.
 * Once the message is denied, no rule is evaluated any more (legacy).
 */
export function applyRules(line: string, rules: readonly HeaderRule[], state: RuleState): string | null {
  if (state.denied) return line;
  for (const rule of rules) {
    const re = rule.regex;
    re.lastIndex = 0;
    const m = re.exec(line);
    if (m === null) continue;
    switch (rule.action) {
      case 'replace':
        // legacy: the whole line is replaced by the expanded string
        return expand(rule.replacement ?? [], m);
      case 'delete':
        return null;
      case 'deny':
        if (!state.allowed) state.denied = true;
        return line;
      case 'tarpit':
        if (!state.allowed) {
          state.denied = true;
          state.tarpit = true;
        }
        return line;
      case 'allow':
        if (!state.denied) state.allowed = true;
        return line;
      case 'pass':
        return line;
    }
  }
  return line;
}
