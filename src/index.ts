// The library entry point: the legacy configuration parser and the Config model it produces.
export { parseConfigText, parseConfigFiles, parseConfigSources } from './config/parser.js';
export type { ParseOptions, ConfigSource } from './config/parser.js';
export { ConfigError } from './config/errors.js';
export { compilePosixRegex, enableLinearRegexFallback } from './config/regex.js';
export type * from './config/model.js';
