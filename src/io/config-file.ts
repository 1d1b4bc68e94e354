// Reads leasegen.conf (SPEC §6): its syntax is core/config-syntax.ts, its keys core/config.ts.
import { readFileSync } from "node:fs";
import { parseConfigText } from "../core/config-syntax.js";
import { ConfigError, validateConfig, type Config } from "../core/config.js";
import { ExitCode, FatalError, describe } from "../errors.js";

export const DEFAULT_CONFIG_PATH = "/var/inventario-leasegen/etc/leasegen.conf";

export function readConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new FatalError(`${path}: cannot read the configuration: ${describe(error)}`, ExitCode.Usage, { cause: error });
  }
  let lines: ReadonlyMap<string, number> = new Map();
  try {
    const parsed = parseConfigText(text);
    lines = parsed.lines;
    return validateConfig(parsed.values);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A syntax error names its line; a key's error gets the line the key is on.
    const line = error.line ?? (error.key === undefined ? undefined : lines.get(error.key));
    throw new FatalError(`${path}: ${line === undefined ? "" : `line ${line}: `}${error.message}`, ExitCode.Usage);
  }
}
