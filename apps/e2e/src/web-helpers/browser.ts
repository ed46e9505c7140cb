/// <reference lib="dom" />
/** Debian's Chromium driven by playwright-core (never a downloaded browser), plus layout checks. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import { WORKSPACE } from "./server.js";

export const ARTIFACTS = join(WORKSPACE, "apps", "e2e", "artifacts", "web");

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
      "--disable-quic",
    ],
  });
}

export const MOBILE = { width: 375, height: 812 };
export const DESKTOP = { width: 1280, height: 800 };

export async function openPage(
  browser: Browser,
  url: string,
  size: { width: number; height: number } = DESKTOP,
  colorScheme: "light" | "dark" = "light",
): Promise<Page> {
  const context = await browser.newContext({ viewport: size, colorScheme, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  // Surface UI crashes in the test output instead of a silent blank page.
  page.on("pageerror", (err) => console.error(`[browser pageerror] ${err.message}`));
  await page.goto(url);
  return page;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** [scrollWidth, clientWidth] of the document: equal means no horizontal overflow. */
export async function documentWidths(page: Page): Promise<[number, number]> {
  return page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
}

/** Elements sticking out past the right edge (names them when overflow fails, to fix the CSS). */
export async function overflowingElements(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll("body *"))) {
      const r = el.getBoundingClientRect();
      if (r.right > width + 0.5 && r.width > 0) {
        out.push(
          `${el.tagName.toLowerCase()}.${(el.getAttribute("class") ?? "").replace(/ /g, ".")} right=${Math.round(r.right)}`,
        );
      }
    }
    return out.slice(0, 10);
  });
}

export async function until<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Fails (naming what sticks out) when the page scrolls sideways. */
export async function expectNoPageOverflow(page: Page): Promise<void> {
  const [scrollWidth, clientWidth] = await documentWidths(page);
  if (scrollWidth > clientWidth) console.error("overflowing:", await overflowingElements(page));
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
}

/** A fresh 375 px page on `url` for `fn`, closed afterwards whatever happens. */
export async function withMobilePage(
  browser: Browser,
  url: string,
  fn: (page: Page) => Promise<void>,
): Promise<void> {
  const page = await openPage(browser, url, MOBILE);
  try {
    await fn(page);
  } finally {
    await page.context().close();
  }
}
