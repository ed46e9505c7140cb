import { isPlainObject } from "./merge.js";
import { loadYaml } from "./parse.js";

/**
 * Whether config.yml's text sets `server.auth_token` to a literal secret. Such a file must not be
 * committed (auto-commit leaves it out, `car doctor` warns when git tracks it): the token belongs in
 * env `CAR_AUTH_TOKEN`. Malformed YAML cannot be read, so a line that looks like a set token counts.
 */
export function configHoldsAuthToken(text: string): boolean {
  let doc: unknown;
  try {
    doc = loadYaml(text, "config.yml");
  } catch {
    return /^[ \t]*auth_token[ \t]*:[ \t]*(?!(?:null|~|""|'')?[ \t]*(?:#|$))\S/m.test(text);
  }
  const server = isPlainObject(doc) ? doc.server : undefined;
  const token = isPlainObject(server) ? server.auth_token : undefined;
  return typeof token === "string" ? token.trim() !== "" : typeof token === "number";
}
