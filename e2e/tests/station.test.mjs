// Station staff at work, in Chinese: a walk-in is registered, checked, admitted and leaves
// with a ticket; a boy cannot leave on his own; the board and alert list show deadlines.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { BASE, SHOTS, launch, newPage, login, shot } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function intake(page, { name, age, features }) {
  await page.goto(`${BASE}/cases/new`);
  await page.fill("#name", name);
  await page.selectOption("#sex", "male");
  await page.fill("#age", String(age));
  await page.fill("#features", features);
  await page.fill("#cause", "务工未果，身无分文");
  await Promise.all([page.waitForNavigation(), page.click("[data-testid=intake] button[type=submit]")]);
  assert.match(page.url(), /\/cases\/\d+\?ok=registered$/);
}

async function step(page, testid) {
  await Promise.all([page.waitForNavigation(), page.click(`[data-testid=${testid}]`)]);
}

test("a walk-in is registered, checked, admitted and leaves with a ticket", async () => {
  const page = await newPage(browser);
  await login(page, "station");
  const started = Date.now();
  await intake(page, { name: "周国富", age: 52, features: "右手缺一指" });
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds < 180, `intake took ${seconds}s`);
  assert.match(await page.textContent("[data-testid=case-state]"), /已登记/);
  await shot(page, "station_intake_done");
  await step(page, "do-first_check");
  assert.match(await page.textContent("[data-testid=case-state]"), /已检视/);
  await step(page, "do-admit");
  assert.match(await page.textContent("[data-testid=case-state]"), /在站/);
  // Unidentified: the search notice is due within 24 hours.
  assert.match(await page.textContent("[data-testid=deadlines]"), /发布寻亲公告/);
  await step(page, "mark-search_notice");
  assert.match(await page.textContent("[data-testid=deadlines]"), /已办理/);
  // A hospital visit, in yuan, kept in fen and summed.
  await page.selectOption("[data-testid=service-kind]", "medical");
  await page.fill("input[name=provider]", "丽水市中心医院");
  await page.fill("[data-testid=service-cost]", "120.50");
  await step(page, "add-service");
  assert.match(await page.textContent("[data-testid=services]"), /¥120\.50/);
  await shot(page, "station_in_station");
  // Cash over 20 yuan is refused with a clear message, and nothing changes.
  await page.selectOption("[data-testid=exit-kind]", "self_discharge");
  await page.check("input[name=statement_signed]");
  await page.selectOption("#travel", "cash");
  await page.fill("#cash_yuan", "50");
  page.once("dialog", (d) => d.accept());
  await step(page, "do-exit");
  assert.match(await page.textContent("[data-testid=form-error]"), /不得超过20元/);
  assert.match(await page.textContent("[data-testid=case-state]"), /在站/);
  await page.selectOption("[data-testid=exit-kind]", "self_discharge");
  await page.check("input[name=statement_signed]");
  await page.selectOption("#travel", "ticket");
  await page.fill("#ticket", "丽水—温州 K1234");
  page.once("dialog", (d) => d.accept());
  await step(page, "do-exit");
  assert.match(await page.textContent("[data-testid=case-state]"), /已离站/);
  const timeline = await page.textContent("[data-testid=timeline]");
  for (const word of ["求助登记", "接待检视", "入站救助", "已发布寻亲公告", "自行离站"]) {
    assert.match(timeline, new RegExp(word));
  }
  await shot(page, "station_departed");
  // The self-discharge statement prints in the official layout, in Chinese.
  const caseUrl = page.url().replace(/\?.*$/, "");
  await page.goto(`${caseUrl}/forms/self_discharge`);
  const sheet = await page.textContent("[data-testid=form-sheet]");
  assert.match(sheet, /自行离站声明书/);
  assert.match(sheet, /周国富/);
  assert.match(sheet, /丽水—温州 K1234/);
  await shot(page, "form_self_discharge");
  // The same form as a PDF with the Chinese font embedded: the text extracts back.
  const pdf = await page.request.get(`${caseUrl}/forms/self_discharge.pdf`);
  assert.equal(pdf.headers()["content-type"], "application/pdf");
  const file = `${SHOTS}self_discharge.pdf`;
  writeFileSync(file, await pdf.body());
  // Layout may break a line anywhere: compare without whitespace.
  const text = execFileSync("pdftotext", ["-enc", "UTF-8", file, "-"]).toString().replace(/\s+/g, "");
  for (const word of ["自行离站声明书", "丽水市救助管理站", "周国富", "丽水-温州K1234", "离站后的一切行为及后果由本人负责"]) {
    assert.ok(text.includes(word), `PDF lacks ${word}: ${text}`);
  }
  await page.context().close();
});

test("a fifteen-year-old is not offered leaving on his own", async () => {
  const page = await newPage(browser);
  await login(page, "station");
  await intake(page, { name: "小军", age: 15, features: "穿校服" });
  await step(page, "do-first_check");
  await step(page, "do-admit");
  const exits = await page.$$eval("[data-testid=exit-kind] option", (os) => os.map((o) => o.value));
  assert.ok(!exits.includes("self_discharge"), `offered: ${exits}`);
  assert.ok(exits.includes("collected_by_relatives") && exits.includes("escorted_home"));
  // His guardianship is assessed and recorded on the timeline.
  await page.selectOption("#minor_kind", "guardianship_assessment");
  await page.fill("#minor_note", "父母在外务工，祖母年迈，监护能力不足");
  await step(page, "do-minor-care");
  assert.match(await page.textContent("[data-testid=timeline]"), /监护评估/);
  await page.context().close();
});

test("the board and the alert list show who is in and what is late", async () => {
  const page = await newPage(browser, { phone: true });
  await login(page, "station");
  await page.goto(`${BASE}/station`);
  const rows = await page.$$("[data-testid=board] tbody tr");
  assert.ok(rows.length > 5, `${rows.length} rows`);
  await shot(page, "phone_station_board");
  await page.goto(`${BASE}/alerts`);
  assert.match(await page.textContent("[data-testid=alerts]"), /已逾期/);
  await shot(page, "phone_alerts");
  await page.context().close();
});

test("a leader reads the monthly report and follows a figure to its cases", async () => {
  const page = await newPage(browser);
  await login(page, "leader");
  assert.match(await page.textContent("main"), /近12个月救助人次/);
  await page.goto(`${BASE}/reports/monthly`);
  assert.match(await page.textContent("h1"), /救助管理月报/);
  const link = page.locator("[data-testid=cell-total\\.helped]");
  const n = Number(await link.textContent());
  assert.ok(n > 0, "last month had people helped");
  await shot(page, "leader_monthly_report");
  await Promise.all([page.waitForNavigation(), link.click()]);
  const rows = await page.$$("[data-testid=cell-cases] tbody tr");
  assert.equal(rows.length, n, "the drill-down lists exactly the figure's cases");
  await shot(page, "leader_report_drilldown");
  await page.context().close();
});

test("the auditor lands on the audit log after signing in", async () => {
  const page = await newPage(browser);
  await login(page, "auditor");
  assert.match(page.url(), /\/audit$/);
  await page.context().close();
});

test("the home side records a follow-up visit on the returnee ledger", async () => {
  const page = await newPage(browser, { phone: true });
  await login(page, "station");
  await page.goto(`${BASE}/returnees?show=open`);
  const form = page.locator("form.visit-form").first();
  await form.locator("select[name=outcome]").selectOption("settled");
  await form.locator("input[name=note]").fill("电话联系本人，已在家务农");
  await form.locator("input[name=guardian_reminded]").check();
  await Promise.all([page.waitForNavigation(), form.locator("button").click()]);
  assert.match(await page.textContent("[data-testid=flash]"), /已保存/);
  await page.goto(`${BASE}/returnees?show=all`);
  assert.match(await page.textContent("[data-testid=ledger]"), /电话联系本人，已在家务农/);
  await shot(page, "phone_returnee_ledger");
  await page.context().close();
});

test("the street office is alerted when someone on its register turns up at a station", async () => {
  const page = await newPage(browser);
  await login(page, "clerk");
  await page.goto(`${BASE}/register`);
  assert.match(await page.textContent("[data-testid=register-alerts]"), /丽水市救助管理站/);
  await shot(page, "clerk_register_alert");
  await Promise.all([page.waitForNavigation(), page.click("[data-testid=register-alerts] button")]);
  assert.match(await page.textContent("[data-testid=flash]"), /已保存/);
  assert.equal(await page.locator("[data-testid=register-alerts]").count(), 0);
  await page.context().close();
});

test("a man is escorted home to Qingtian and the home side follows him up", async () => {
  const page = await newPage(browser);
  await login(page, "station");
  await intake(page, { name: "吴大林", age: 47, features: "左耳缺损" });
  const caseUrl = page.url().replace(/\?.*$/, "");
  await step(page, "do-first_check");
  await step(page, "do-admit");
  await page.selectOption("[data-testid=service-kind]", "living");
  await step(page, "add-service");
  await page.selectOption("[data-testid=exit-kind]", "escorted_home");
  await page.fill("#receiving_unit", "青田县救助管理站");
  await page.fill("#receipt_no", "HS-2026-0001");
  await page.fill("#destination_region", "331121");
  page.once("dialog", (d) => d.accept());
  await step(page, "do-exit");
  assert.match(await page.textContent("[data-testid=case-state]"), /已离站/);
  await page.goto(`${caseUrl}/forms/escort_receipt`);
  assert.match(await page.textContent("[data-testid=form-sheet]"), /青田县救助管理站/);
  await shot(page, "form_escort_receipt");
  // The ledger lists his three follow-ups; the first is recorded.
  await page.goto(`${BASE}/returnees?show=open&q=${encodeURIComponent("吴大林")}`);
  const rows = page.locator("[data-testid=ledger] tbody tr");
  assert.equal(await rows.count(), 3);
  const form = rows.first().locator("form.visit-form");
  await form.locator("select[name=outcome]").selectOption("settled");
  await form.locator("input[name=note]").fill("已回到青田县家中，与弟弟同住");
  await Promise.all([page.waitForNavigation(), form.locator("button").click()]);
  await page.goto(`${BASE}/returnees?show=all&q=${encodeURIComponent("吴大林")}`);
  assert.match(await page.textContent("[data-testid=ledger]"), /与弟弟同住/);
  await shot(page, "returnee_followed_up");
  await page.context().close();
});
