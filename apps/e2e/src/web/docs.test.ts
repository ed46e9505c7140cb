// Docs view in real Chromium: ticking and adding TODO items reaches the file on disk; a save that
// collides with a change on disk shows the reload/overwrite choice instead of losing either side.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, openPage, screenshot, until } from "../web-helpers/browser.js";
import { makeWebRepo, type WebRepo } from "../web-helpers/repo.js";
import { type CarServer, startCarServe } from "../web-helpers/server.js";

let repo: WebRepo;
let server: CarServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  repo = makeWebRepo({ items: ["alpha", "beta", "gamma"] });
  server = await startCarServe(repo.root);
  browser = await launchChromium();
  page = await openPage(browser, `${server.url}/#/docs/todo`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  repo?.cleanup();
});

const editor = () => page.getByTestId("raw-editor");

async function openTodoFresh(): Promise<void> {
  await page.goto(`${server.url}/#/docs/todo`);
  await page.reload();
  await page.getByTestId("checklist").waitFor();
}

describe("docs", () => {
  it("shows the TODO as a checklist and ticking a box changes exactly that item on disk", async () => {
    await page.getByTestId("checklist").waitFor();
    expect(await page.getByTestId("todo-summary").textContent()).toMatch(/0 \/ 3 done/);
    await page.getByLabel("beta").check();
    await until(() => repo.readTodo().includes("- [x] beta"), "beta ticked on disk", 20_000);
    expect(repo.readTodo()).toBe("# TODO\n\n- [ ] alpha\n- [x] beta\n- [ ] gamma\n");
    await until(
      async () => (await page.getByTestId("doc-notice").textContent())?.startsWith("Saved"),
      "saved notice",
    );
    // And back.
    await page.getByLabel("beta").uncheck();
    await until(() => repo.readTodo().includes("- [ ] beta"), "beta unticked on disk", 20_000);
  });

  it("adds an item from the UI", async () => {
    await page.getByLabel("New TODO item").fill("delta from the browser");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await until(() => repo.readTodo().endsWith("- [ ] delta from the browser\n"), "new item on disk", 20_000);
    await until(
      async () => (await page.getByLabel("delta from the browser").count()) === 1,
      "new item in the list",
    );
  });

  it("saves raw edits with Ctrl+S", async () => {
    await until(async () => (await editor().inputValue()) === repo.readTodo(), "editor in sync with disk");
    await editor().fill(`${repo.readTodo()}\nNotes typed in the editor.\n`);
    await editor().press("Control+s");
    await until(() => repo.readTodo().includes("Notes typed in the editor."), "Ctrl+S saved", 20_000);
  });

  it("on a conflicting change on disk shows the choice, and Overwrite keeps the user's version", async () => {
    await openTodoFresh();
    const mine = `${await editor().inputValue()}- [ ] mine from the browser\n`;
    await editor().fill(mine);
    // The agent (here: the test) changes the file after the page loaded it.
    repo.writeTodo(`${repo.readTodo()}- [ ] theirs from the agent\n`);
    await page.getByRole("button", { name: "Save", exact: true }).click();
    const conflict = page.getByTestId("conflict");
    await conflict.waitFor();
    expect(await conflict.textContent()).toMatch(/changed on the server/);
    // Nothing was written yet: their version is intact on disk.
    expect(repo.readTodo()).toContain("theirs from the agent");
    expect(repo.readTodo()).not.toContain("mine from the browser");
    await screenshot(page, "docs-conflict-1280");
    await page.getByRole("button", { name: "Overwrite with mine" }).click();
    await until(() => repo.readTodo() === mine, "my version on disk", 20_000);
    await conflict.waitFor({ state: "detached" });
  });

  it("on a conflict, Reload shows the version on disk and discards the local edit", async () => {
    await openTodoFresh();
    await editor().fill("local edit that will be discarded\n");
    const theirs = "# TODO\n\n- [ ] rewritten by the agent\n";
    repo.writeTodo(theirs);
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByTestId("conflict").waitFor();
    await page.getByRole("button", { name: /Reload theirs/ }).click();
    await until(async () => (await editor().inputValue()) === theirs, "editor shows their version");
    expect(repo.readTodo()).toBe(theirs);
    await until(
      async () => (await page.getByLabel("rewritten by the agent").count()) === 1,
      "checklist reloaded",
    );
  });

  it("edits the other docs in their tabs", async () => {
    await page.getByRole("tab", { name: "OPINIONS" }).click();
    await until(async () => (await editor().inputValue()).includes("Keep it small."), "opinions loaded");
    await editor().fill("# Opinions\n\n- Prefer boring code.\n");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await until(
      () => readFileSync(join(repo.dir, "OPINIONS.md"), "utf8") === "# Opinions\n\n- Prefer boring code.\n",
      "opinions saved",
      20_000,
    );
    writeFileSync(join(repo.dir, "PROGRESS.md"), "# Progress\n\n- did things\n");
    await page.getByRole("tab", { name: "PROGRESS" }).click();
    await until(async () => (await editor().inputValue()).includes("did things"), "progress loaded");
  });
});
