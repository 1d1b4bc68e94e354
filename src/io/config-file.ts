// Reads leasegen.conf: INI without sections (SPEC §6), parsed by `ini`, then validated.
import { readFileSync } from "node:fs";
import { parse } from "ini";
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
  try {
    return validateConfig(plainValues(parse(text)));
  } catch (error) {
    if (error instanceof ConfigError) throw new FatalError(`${path}: ${error.message}`, ExitCode.Usage);
    throw error;
  }
}

/** `ini` turns `true`, `false` and `null` into values; a password may well be "true". */
function plainValues(parsed: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    values[key] = typeof value === "boolean" || value === null ? String(value) : value;
  }
  return values;
}
