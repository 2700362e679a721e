// Family tracing, end to end: a station registers an unidentified man; his daughter files
// a report on the public site with his name misheard; the candidate appears with its
// explanation; the worker records the DNA match, confirms, and the man goes home with an
// escort. The public notice pages show only what a notice may show.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, newPage, login, shot } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function step(page, testid) {
  await Promise.all([page.waitForNavigation(), page.click(`[data-testid=${testid}]`)]);
}

test("a family's misheard report finds the man at the station and DNA confirms him", async () => {
  const staff = await newPage(browser);
  await login(staff, "station");
  // The patrol brings in a man who gives only his name; he speaks 青田话.
  await staff.goto(`${BASE}/cases/new`);
  await staff.fill("#name", "叶建平");
  await staff.selectOption("#sex", "male");
  await staff.fill("#age", "66");
  await staff.click("[data-testid=intake] details summary");
  await staff.fill("#dialect", "青田话");
  await staff.fill("#features", "左手背有疤痕，右腿微跛");
  await staff.fill("#cause", "街面巡查发现，说不清住址");
  await Promise.all([staff.waitForNavigation(), staff.click("[data-testid=intake] button[type=submit]")]);
  const caseUrl = staff.url().replace(/\?.*$/, "");
  await step(staff, "do-first_check");
  await step(staff, "do-admit");

  // His daughter reports him missing from her phone; on the line 建 became 剑.
  const family = await newPage(browser, { phone: true });
  await family.goto(`${BASE}/seek`);
  await family.selectOption("#region_code", "331102");
  await family.fill("#name", "叶剑平");
  await family.selectOption("#sex", "male");
  await family.fill("#age_when_missing", "66");
  await family.fill("#missing_place", "青田县汽车站");
  await family.selectOption("#origin_region", "331121");
  await family.fill("#dialect", "青田话");
  await family.fill("#features", "左手背有疤痕");
  await family.fill("#reporter_name", "叶丽");
  await family.fill("#relation", "女儿");
  await family.fill("#contact", "13812345678");
  await family.check("[data-testid=consent]");
  await shot(family, "tracing_public_report_phone");
  await Promise.all([family.waitForNavigation(), family.click("[data-testid=submit-report]")]);
  const refNo = (await family.textContent("[data-testid=ref-no]")).trim();
  assert.match(refNo, /^XQ\d{6}[0-9A-Z]{6}$/);

  // The station opens his search case: the candidate is there, and the table says why.
  await staff.goto(caseUrl);
  await step(staff, "search-link");
  const card = staff.locator("[data-testid=candidate]").filter({ hasText: "叶剑平" });
  assert.equal(await card.count(), 1);
  const explanation = await card.locator("[data-testid=explanation]").textContent();
  assert.match(explanation, /同音或形近字/);
  assert.match(explanation, /口音/);
  await shot(staff, "tracing_candidate_explained");

  // The notice goes up with his photo (a desk camera shot; any location data is removed).
  await staff.selectOption("#channel", "notice");
  await staff.fill("#reference", "XQGG-2026-118");
  await step(staff, "add-action");
  const picture = await staff.screenshot({ clip: { x: 0, y: 0, width: 320, height: 400 } });
  await staff.setInputFiles("[data-testid=photo-form] input[type=file]", { name: "photo.png", mimeType: "image/png", buffer: picture });
  await Promise.all([staff.waitForNavigation(), staff.click("[data-testid=upload-photo]")]);
  assert.equal(await staff.locator("[data-testid=photo] img").count(), 1);
  const caseId = caseUrl.split("/").pop();
  await family.goto(`${BASE}/notices/${caseId}`);
  assert.match(await family.textContent("[data-testid=notice]"), /左手背有疤痕/);
  const size = await family.locator("[data-testid=notice-photo]").evaluate((img) => img.naturalWidth);
  assert.ok(size > 0, "the photo shows on the public notice");

  // Confirming on DNA before the result is recorded is refused.
  await card.locator("select[name=evidence]").selectOption("dna_match");
  await card.locator("[data-testid=confirm-form] input[name=note]").fill("比中通知 DNA-2026-118");
  await Promise.all([staff.waitForNavigation(), card.locator("[data-testid=confirm]").click()]);
  assert.match(await staff.textContent("[data-testid=form-error]"), /请先在寻亲渠道中记录/);

  // The police laboratory answers: a match. Recorded, then confirmed.
  await staff.selectOption("#channel", "dna");
  await staff.fill("#reference", "DNA-2026-118");
  await staff.selectOption("#outcome", "match");
  await step(staff, "add-action");
  assert.match(await staff.textContent("[data-testid=action-dna]"), /比中/);
  const again = staff.locator("[data-testid=candidate]").filter({ hasText: "叶剑平" });
  await again.locator("select[name=evidence]").selectOption("dna_match");
  await again.locator("[data-testid=confirm-form] input[name=note]").fill("比中通知 DNA-2026-118");
  await Promise.all([staff.waitForNavigation(), again.locator("[data-testid=confirm]").click()]);
  assert.match(staff.url(), /\?ok=identity_confirmed$/);
  assert.match(await staff.textContent("[data-testid=flash]"), /身份已确认/);
  assert.match(await staff.textContent("[data-testid=timeline]"), /身份确认/);

  // The way home starts from here: escorted to Qingtian.
  await staff.selectOption("[data-testid=exit-kind]", "escorted_home");
  await staff.fill("#receiving_unit", "青田县救助管理站");
  await staff.fill("#receipt_no", "HS-2026-0118");
  await staff.fill("#destination_region", "331121");
  staff.once("dialog", (d) => d.accept());
  await step(staff, "do-exit");
  assert.match(await staff.textContent("[data-testid=case-state]"), /已离站/);
  await shot(staff, "tracing_escorted_home");

  // The daughter looks up her reference number.
  await family.goto(`${BASE}/seek/status?ref=${refNo}`);
  assert.match(await family.textContent("[data-testid=status-result]"), /已找到/);
  await staff.context().close();
  await family.context().close();
});

test("the public notice list filters and shows no private field", async () => {
  const page = await newPage(browser, { phone: true });
  await page.goto(`${BASE}/notices?sex=male`);
  const cards = page.locator("[data-testid=notices] .notice-card");
  assert.ok((await cards.count()) > 0, "the demo has notices");
  const text = await page.textContent("[data-testid=notices]");
  assert.doesNotMatch(text, /RS\d|身份证|高血压/);
  await cards.first().click();
  await page.waitForSelector("[data-testid=notice]");
  assert.doesNotMatch(await page.textContent("[data-testid=notice]"), /高血压|身份证/);
  // No sideways scrolling on a phone.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page overflows by ${overflow}px`);
  await shot(page, "tracing_public_notice_phone");
  await page.context().close();
});

test("a leader reads the family-tracing figures and the reunions behind them", async () => {
  const page = await newPage(browser);
  await login(page, "leader");
  await page.goto(`${BASE}/tracing/stats`);
  const open = Number((await page.textContent("[data-testid=open-searches]")).trim());
  assert.ok(open > 0, "unidentified people in the station");
  assert.match(await page.textContent("main"), /DNA比中/);
  assert.match(await page.textContent("[data-testid=long-stayers]"), /天/);
  await shot(page, "tracing_stats");
  await page.goto(`${BASE}/tracing`);
  assert.ok((await page.locator("[data-testid=candidate]").count()) > 0, "candidates to review");
  await shot(page, "tracing_board");
  await page.context().close();
});
