import { promises as fsp } from "node:fs";
import { join } from "node:path";
import type { HubRepo } from "../../contract/hub.js";
import type { StateBody } from "../../contract/state.js";
import { isCarError } from "../../errors.js";
import { hubRepoFromStatus, unusableHubRepo } from "../../hub/summary.js";
import { CAR_DIR } from "../paths.js";
import { getStatus } from "../status.js";
import type { HubRepoRef } from "./types.js";

/** One repo as read now: its card (queue position not yet known) and its status, when it has one. */
export interface RepoReading {
  repo: HubRepo;
  /** getStatus's answer (null for missing / uninitialised / unreadable repos). */
  status: StateBody | null;
}

/**
 * Read one repo for the hub. Never throws: a missing folder, no config.yml, a broken config.yml or an
 * unreadable state.json give a card with that status and the error.
 */
export async function summariseRepo(ref: HubRepoRef): Promise<RepoReading> {
  const root = ref.location.root;
  const st = await fsp.stat(root).catch(() => null);
  if (!st?.isDirectory()) {
    return {
      repo: unusableHubRepo(ref, "missing", `${root} does not exist (or is not a folder).`),
      status: null,
    };
  }
  const config = await fsp.stat(join(root, CAR_DIR, "config.yml")).catch(() => null);
  if (!config) {
    return {
      repo: unusableHubRepo(
        ref,
        "uninitialised",
        `${root} has no ${CAR_DIR}/config.yml; run \`car init\` there.`,
      ),
      status: null,
    };
  }
  try {
    const status = await getStatus(root, { tolerateConfigError: true });
    return { repo: hubRepoFromStatus(ref, status, null), status };
  } catch (err) {
    if (isCarError(err, "CONFIG_NOT_FOUND")) {
      return { repo: unusableHubRepo(ref, "uninitialised", err.message), status: null };
    }
    return { repo: unusableHubRepo(ref, "error", (err as Error).message), status: null };
  }
}
