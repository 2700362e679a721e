// Shared helpers for the browser suite.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

export const BASE = process.env.JIUZHU_E2E_URL ?? "http://127.0.0.1:8099";
export const PASSWORD = process.env.JIUZHU_DEMO_PASSWORD ?? "Demo-pass-2026";
export const SHOTS = new URL("../screenshots/", import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A fresh context (own cookies) in Chinese, desktop or phone sized. */
export async function newPage(browser, { phone = false, locale = "zh-CN" } = {}) {
  const ctx = await browser.newContext({
    locale,
    viewport: phone ? { width: 360, height: 740 } : { width: 1280, height: 800 },
    isMobile: phone,
    hasTouch: phone,
  });
  return ctx.newPage();
}

export async function login(page, username, password = PASSWORD) {
  await page.goto(`${BASE}/login`);
  await page.fill("#username", username);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}

export async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}
