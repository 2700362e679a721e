// Every demo role signs in, sees its own menu, opens every page it may, and is refused a
// page it may not. Screenshots of each page land in e2e/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, newPage, login, shot } from "./lib.mjs";

// What each role's menu holds, and one page it must not open.
const ROLES = {
  admin:     { pages: ["/", "/users", "/orgs", "/regions"], forbidden: "/station" },
  leader:    { pages: ["/", "/station", "/cases", "/users", "/orgs", "/regions"], forbidden: "/audit" },
  station:   { pages: ["/", "/station", "/cases/new", "/cases", "/alerts", "/orgs", "/regions"], forbidden: "/users" },
  patrol:    { pages: ["/", "/station", "/cases/new", "/orgs", "/regions"], forbidden: "/users" },
  hotline:   { pages: ["/", "/station", "/cases/new", "/orgs", "/regions"], forbidden: "/users" },
  social:    { pages: ["/", "/station", "/cases", "/alerts", "/returnees", "/register", "/orgs", "/regions"], forbidden: "/cases/new" },
  clerk:     { pages: ["/", "/returnees", "/register", "/orgs", "/regions"], forbidden: "/users/new" },
  approver:  { pages: ["/", "/orgs", "/regions"], forbidden: "/audit" },
  liaison:   { pages: ["/", "/orgs", "/regions"], forbidden: "/access-log" },
  auditor:   { pages: ["/audit", "/access-log", "/audit/verify"], forbidden: "/orgs" },
};

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const [role, spec] of Object.entries(ROLES)) {
  test(`${role} signs in, sees its pages in Chinese and is refused ${spec.forbidden}`, async () => {
    const page = await newPage(browser);
    await login(page, role);
    assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
    assert.match(await page.textContent("[data-testid=logout]"), /退出/);
    // The menu offers exactly the pages the role may open.
    const links = await page.$$eval("#sidebar a", (as) => as.map((a) => new URL(a.href).pathname));
    for (const p of spec.pages.filter((p) => p !== "/audit/verify")) {
      assert.ok(links.includes(p), `${role}: menu lacks ${p} (has ${links})`);
    }
    assert.ok(!links.includes(spec.forbidden), `${role}: menu offers ${spec.forbidden}`);
    for (const p of spec.pages) {
      const resp = await page.goto(`${BASE}${p}`);
      assert.equal(resp.status(), 200, `${role} ${p}`);
      await shot(page, `${role}${p.replaceAll("/", "_") || "_home"}`);
    }
    const refused = await page.goto(`${BASE}${spec.forbidden}`);
    assert.equal(refused.status(), 403, `${role} ${spec.forbidden}`);
    assert.match(await page.textContent("[data-testid=error-message]"), /没有权限/);
    await shot(page, `${role}_forbidden`);
    await page.context().close();
  });
}

test("the public is sent to the sign-in page, in English when chosen", async () => {
  const page = await newPage(browser);
  await page.goto(`${BASE}/users`);
  assert.match(page.url(), /\/login\?next=%2Fusers$/);
  assert.match(await page.textContent("h1"), /登录/);
  await page.click("[data-testid=lang]");
  assert.match(await page.textContent("h1"), /Sign in/);
  await shot(page, "public_login_en");
  await page.context().close();
});

test("a wrong password shows a clear message and no session", async () => {
  const page = await newPage(browser);
  await login(page, "station", "not-the-password");
  assert.match(await page.textContent("[data-testid=form-error]"), /用户名或密码错误/);
  await page.context().close();
});

test("on a phone, the menu opens from the burger and lists fit the screen", async () => {
  const page = await newPage(browser, { phone: true });
  await login(page, "admin");
  assert.equal(await page.isVisible("#sidebar"), false);
  await page.click(".navbar-burger");
  assert.equal(await page.isVisible("#sidebar"), true);
  await page.goto(`${BASE}/users`);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 380, `page is ${width}px wide on a 360px phone`);
  await shot(page, "phone_users");
  await page.context().close();
});

test("an administrator creates an organisation, edits it, and a stale edit is refused", async () => {
  const page = await newPage(browser);
  await login(page, "admin");
  await page.goto(`${BASE}/orgs/new`);
  await page.fill("#name", "莲都区爱心救助驿站");
  await page.selectOption("#kind", "charity");
  await page.fill("#region_code", "331102");
  await page.fill("#phone", "0578-2345678");
  await Promise.all([page.waitForNavigation(), page.click("main button[type=submit]")]);
  assert.match(await page.textContent("[data-testid=flash]"), /已创建/);
  assert.match(await page.textContent("h1"), /莲都区爱心救助驿站/);
  // Two tabs open the edit form; the second save loses.
  const url = page.url().replace(/\?.*$/, "");
  const other = await page.context().newPage();
  await page.goto(`${url}/edit`);
  await other.goto(`${url}/edit`);
  await page.fill("#address", "莲都区紫金路 1 号");
  await Promise.all([page.waitForNavigation(), page.click("main button[type=submit]")]);
  await other.fill("#address", "被覆盖的地址");
  await Promise.all([other.waitForNavigation(), other.click("main button[type=submit]")]);
  assert.match(await other.textContent("[data-testid=form-error]"), /已被他人修改/);
  await shot(other, "admin_conflict");
  await page.goto(url);
  assert.match(await page.textContent(".header-box"), /紫金路 1 号/);
  await page.context().close();
});
