import { HTTP_CONTRACT, HUB_REPO_ID_PATTERN, ROUTES } from "@codex-autorunner/core";
import type { HubRegistryApi, HubRepoRef } from "@codex-autorunner/core/node";
import { Hono } from "hono";
import { HttpError } from "../errors.js";
import { jsonBody, reply } from "../validation.js";

/** 404 HUB_REPO_NOT_FOUND naming the id as sent (cut short, quoted). */
export function repoNotFound(id: string): HttpError {
  const shown = JSON.stringify(id.length > 40 ? `${id.slice(0, 40)}…` : id);
  return new HttpError("HUB_REPO_NOT_FOUND", `No repo with id ${shown} in this hub`);
}

/** The registered repo with this id; 404 HUB_REPO_NOT_FOUND for anything else (never a path). */
export function repoRef(registry: HubRegistryApi, id: string): HubRepoRef {
  const ref = HUB_REPO_ID_PATTERN.test(id) ? registry.get(id) : undefined;
  if (!ref) throw repoNotFound(id);
  return ref;
}

/**
 * `GET /hub/repos`, `POST /hub/repos {path, init?}`, `DELETE /hub/repos/:id`: the registry decides
 * (paths outside the root, duplicates, what removal means); `onRemoved` lets the app drop the repo's
 * cached API.
 */
export function hubRepoRoutes(registry: HubRegistryApi, onRemoved: (id: string) => void): Hono {
  return new Hono()
    .get(ROUTES.hubRepos.path, async (c) => reply(c, "hubRepos", await registry.list()))
    .post(ROUTES.hubAddRepo.path, async (c) => {
      const body = await jsonBody(c, HTTP_CONTRACT.hubAddRepo.body);
      return reply(c, "hubAddRepo", await registry.add(body.path, { init: body.init ?? false }));
    })
    .delete(ROUTES.hubRemoveRepo.path, async (c) => {
      const ref = repoRef(registry, c.req.param("id"));
      const { excluded } = await registry.remove(ref.id);
      onRemoved(ref.id);
      return reply(c, "hubRemoveRepo", { removed: true, id: ref.id, path: ref.path, excluded });
    });
}
