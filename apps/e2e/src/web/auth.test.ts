/// <reference lib="dom" />
// Token flow in real Chromium against `car serve` started with CAR_AUTH_TOKEN.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, MOBILE, openPage, screenshot, until } from "../web-helpers/browser.js";
import { makeWebRepo, type WebRepo } from "../web-helpers/repo.js";
import { type CarServer, startCarServe } from "../web-helpers/server.js";

const TOKEN = "e2e-secret-token-1234";
let repo: WebRepo;
let server: CarServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  repo = makeWebRepo();
  server = await startCarServe(repo.root, { CAR_AUTH_TOKEN: TOKEN });
  browser = await launchChromium();
  page = await openPage(browser, `${server.url}/#/dashboard`, MOBILE);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  repo?.cleanup();
});

async function submitToken(value: string): Promise<void> {
  const input = page.getByLabel("Access token");
  if (!(await input.isVisible())) await page.getByRole("button", { name: "Token" }).click();
  await input.fill(value);
  await page.getByRole("button", { name: "Save token" }).click();
}

describe("token flow", () => {
  it("without a token: a clear error and the token field, no data", async () => {
    const banner = page.getByTestId("auth-error");
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(/Unauthorized/);
    expect(await page.getByLabel("Access token").isVisible()).toBe(true);
    await until(
      async () => (await page.getByTestId("conn").first().getAttribute("data-conn")) === "unauthorized",
      "stream says token needed",
    );
    expect(await page.getByTestId("status-pill").first().getAttribute("data-status")).toBe("unknown");
  });

  it("a wrong token is rejected with the server's message", async () => {
    await submitToken("not-the-token");
    const banner = page.getByTestId("auth-error");
    await until(async () => (await banner.textContent())?.includes("Invalid token"), "invalid token message");
    await screenshot(page, "auth-wrong-token-375");
    expect(await page.evaluate(() => localStorage.getItem("car.token"))).toBe("not-the-token");
  });

  it("the right token works: state loads, the stream connects, and it is remembered", async () => {
    await submitToken(TOKEN);
    await until(
      async () => (await page.getByTestId("status-pill").first().getAttribute("data-status")) === "idle",
      "idle state",
    );
    await until(
      async () => (await page.getByTestId("conn").first().getAttribute("data-conn")) === "open",
      "live stream",
    );
    expect(await page.getByTestId("auth-error").count()).toBe(0);
    expect(await page.getByTestId("todo-count").textContent()).toMatch(/0 of 3 done/);
    // A reload keeps working from localStorage, and API calls (docs) carry the token.
    await page.goto(`${server.url}/#/docs/todo`);
    await page.reload();
    await page.getByTestId("checklist").waitFor();
    expect(await page.getByTestId("auth-error").count()).toBe(0);
    const res = await page.evaluate(async () => (await fetch("api/state")).status);
    expect(res).toBe(401); // the API itself still refuses requests without the token
  });
});
