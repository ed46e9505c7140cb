// Chat in real Chromium: the answer streams from a (stand-in) agent run by `car serve`, and
// "Add as TODO" appends an item to the TODO file through the docs API.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, MOBILE, openPage, screenshot, until } from "../web-helpers/browser.js";
import { makeWebRepo, type WebRepo } from "../web-helpers/repo.js";
import { type CarServer, startCarServe } from "../web-helpers/server.js";

let repo: WebRepo;
let server: CarServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  repo = makeWebRepo({ items: ["existing"] });
  server = await startCarServe(repo.root);
  browser = await launchChromium();
  page = await openPage(browser, `${server.url}/#/chat`, MOBILE);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  repo?.cleanup();
});

describe("chat", () => {
  it("streams the agent's answer and turns it into a TODO item", async () => {
    const before = repo.readTodo();
    await page.getByLabel("Message").fill("What should I do next?");
    await page.getByLabel("PROGRESS").uncheck();
    await page.getByRole("button", { name: "Send" }).click();
    const turn = page.getByTestId("agent-turn").last();
    await until(async () => (await turn.getAttribute("data-state")) === "done", "the answer", 60_000);
    expect(await turn.textContent()).toContain("Add a section about access tokens to the README.");
    // Chat is read-only: the TODO is untouched until the user asks.
    expect(repo.readTodo()).toBe(before);
    await turn.getByRole("button", { name: "Add as TODO" }).click();
    const input = page.getByLabel("TODO item text");
    await input.fill("Add a section about access tokens to the README");
    await screenshot(page, "chat-add-todo-375");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await until(
      () => repo.readTodo() === `${before}- [ ] Add a section about access tokens to the README\n`,
      "the item appended on disk",
      20_000,
    );
    await until(async () => (await page.getByText("Added to the TODO.").count()) === 1, "confirmation");
  });
});
