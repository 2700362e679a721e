// Street outreach, end to end: a passer-by reports a man under a bridge from a phone; the
// operator's board shows it live and dispatches the suggested team in one action; the team
// arrives and records a refusal with supplies on a phone-sized screen; the passer-by reads
// the outcome. Then a cold-wave warning starts a campaign that adds visits to tomorrow's plan.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, newPage, login, shot } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A day in Asia/Shanghai as YYYY-MM-DD, `days` from today. */
function shanghaiDay(days) {
  return new Date(Date.now() + days * 86400000).toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
}

test("a public report is dispatched live, answered with a refusal on a phone, and the reporter reads it", async () => {
  // The operator's board is open before the report comes in.
  const operator = await newPage(browser);
  await login(operator, "hotline");
  await operator.goto(`${BASE}/outreach`);
  await operator.waitForFunction(() => window.L !== undefined);

  const passerBy = await newPage(browser, { phone: true });
  await passerBy.goto(`${BASE}/street/report`);
  await passerBy.selectOption("#region_code", "331102");
  await passerBy.fill("#place", "大洋路桥洞北侧");
  await passerBy.locator(".map-pick").click();
  assert.notEqual(await passerBy.inputValue("#lat"), "", "a click on the map sets the position");
  await passerBy.fill("#description", "一位老人睡在桥洞里，衣着单薄");
  await passerBy.fill("#contact", "13800138000");
  await shot(passerBy, "outreach_public_report_phone");
  await Promise.all([passerBy.waitForNavigation(), passerBy.click("[data-testid=send-street]")]);
  const ref = (await passerBy.textContent("[data-testid=street-ref]")).trim();
  assert.match(ref, /^S\d{6}[0-9A-Z]{6}$/);

  // The board updates by itself (server-sent events), and suggests the nearest free team.
  const row = operator.locator(`[data-testid=queue-row][data-ref="${ref}"]`);
  await row.waitFor({ timeout: 15000 });
  const team = await row.locator("[data-testid=team-select]").inputValue();
  assert.match(await row.locator("[data-testid=team-select] option:checked").textContent(), /★/);
  await shot(operator, "outreach_dispatch_board");
  await Promise.all([operator.waitForNavigation(), row.locator("[data-testid=dispatch]").click()]);
  assert.match(await operator.textContent("[data-testid=flash]"), /已派单/);

  // The team on its phone: arrive, then record the refusal with supplies and a help card.
  const patrol = await newPage(browser, { phone: true });
  await login(patrol, "patrol");
  await patrol.goto(`${BASE}/patrol?team=${team}`);
  const card = patrol.locator(`[data-testid=assigned][data-ref="${ref}"]`);
  assert.match(await card.textContent(), /大洋路桥洞北侧/);
  await Promise.all([patrol.waitForNavigation(), card.locator("[data-testid=arrive]").click()]);
  const onScene = patrol.locator(`[data-testid=assigned][data-ref="${ref}"]`);
  await onScene.locator("[data-testid=outcome-select]").selectOption("refused_supplies");
  await onScene.locator("[data-testid=supplies]").fill("2");
  await onScene.locator("[data-testid=card]").check();
  await onScene.locator("textarea[name=note]").fill("发放棉被一床、热食一份，告知救助站地址");
  await shot(patrol, "outreach_patrol_phone");
  await Promise.all([patrol.waitForNavigation(), onScene.locator("[data-testid=save-contact]").click()]);
  assert.match(await patrol.textContent("[data-testid=flash]"), /处置记录已保存/);
  assert.equal(await patrol.locator(`[data-testid=assigned][data-ref="${ref}"]`).count(), 0);

  // The passer-by reads what happened, and nothing about the man or the team.
  await passerBy.goto(`${BASE}/street/status?ref=${ref}`);
  const outcome = await passerBy.textContent("[data-testid=street-result]");
  assert.match(outcome, /暂不愿入站/);
  assert.doesNotMatch(outcome, /巡查|棉被|13800138000/);
  await shot(passerBy, "outreach_reporter_outcome");

  // The public map of rescue posts works offline and finds the nearest post and the station.
  await passerBy.context().grantPermissions(["geolocation"]);
  await passerBy.context().setGeolocation({ latitude: 28.45, longitude: 119.91 });
  await passerBy.goto(`${BASE}/rescue-posts`);
  await passerBy.click("[data-testid=find-nearest]");
  const nearest = passerBy.locator("[data-testid=nearest]");
  await nearest.waitFor({ state: "visible" });
  assert.match(await nearest.textContent(), /救助管理站/);
  assert.ok(await nearest.locator("a[href^='https://uri.amap.com/']").count() >= 1);
  await shot(passerBy, "outreach_posts_map_phone");
});

test("a cold-wave warning starts a campaign that adds visits to tomorrow's plan", async () => {
  const staff = await newPage(browser);
  await login(staff, "station");
  const day = shanghaiDay(1);
  const plan = `${BASE}/plans?region=331102&day=${day}`;
  await staff.goto(plan);
  await Promise.all([staff.waitForNavigation(), staff.click("[data-testid=make-plan]")]);
  const before = Number(await staff.textContent("[data-testid=stop-count]"));
  assert.ok(before > 0);

  // An orange cold-wave warning for the city, valid tomorrow.
  await staff.goto(`${BASE}/weather`);
  await staff.selectOption("#region_code", "331100");
  await staff.selectOption("#kind", "cold");
  await staff.selectOption("#level", "orange");
  await staff.fill("#valid_from", day);
  await staff.fill("#valid_to", day);
  await staff.fill("#source", "丽水市气象台");
  await Promise.all([staff.waitForNavigation(), staff.click("[data-testid=save-warning]")]);
  assert.match(await staff.textContent("[data-testid=campaign-title]"), /寒冬送温暖/);
  await shot(staff, "outreach_campaign");

  // Tomorrow's plan made again: the campaign shows, and there are more visits.
  await staff.goto(plan);
  assert.ok(await staff.locator("[data-testid=campaign-banner]").count() >= 1);
  await Promise.all([staff.waitForNavigation(), staff.click("[data-testid=make-plan]")]);
  const after = Number(await staff.textContent("[data-testid=stop-count]"));
  assert.ok(after > before, `more stops in a cold wave: ${before} → ${after}`);
  await shot(staff, "outreach_plan_cold_wave");
});
