// Shared by the notify tests (not part of the library).
import { buildConfigSchema } from "../config/schema.js";
import { NOTIFY_SECTION, type NotifySettings, type NotifyTargetConfig } from "./settings.js";

const schema = buildConfigSchema({ notify: NOTIFY_SECTION });

/** `notify.targets` as the config parser returns it (defaults filled), for the section alone. */
export function parseTargets(list: unknown[]): NotifyTargetConfig[] {
  return (schema.parse({ notify: { targets: list } }) as { notify: NotifySettings }).notify.targets;
}
