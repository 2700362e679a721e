// Social assistance, end to end: a resident applies online from a phone; the township
// checks the data and two staff visit; the notice runs its 7 days; the county approves; the
// first payment is in next month's run; the applicant reads why the amount is what it is.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, newPage, login, shot } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A valid resident identity number (GB 11643) for a person born on `birth` (YYYYMMDD). */
function residentId(county, birth, seq) {
  const body = `${county}${birth}${String(seq).padStart(3, "0")}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, c, i) => s + Number(c) * weights[i], 0);
  return body + "10X98765432"[sum % 11];
}

function shanghaiDay(days) {
  return new Date(Date.now() + days * 86400000).toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
}

async function takeStep(page, step, fields = {}) {
  const item = page.locator("[data-testid=item][data-item=dibao]");
  const form = item.locator("[data-testid=step-form]");
  await form.locator("[data-testid=step-select]").selectOption(step);
  if (fields.text) { await form.locator("[data-testid=step-text]").fill(fields.text); }
  if (fields.staff) {
    await form.locator("[data-testid=staff1]").fill(fields.staff[0]);
    await form.locator("[data-testid=staff2]").fill(fields.staff[1]);
    await form.locator("[data-testid=signed]").check();
  }
  if (fields.on) { await form.locator("[data-testid=step-date]").fill(fields.on); }
  await Promise.all([page.waitForNavigation(), form.locator("[data-testid=do-step]").click()]);
  const error = page.locator("[data-testid=form-error]");
  assert.equal(await error.count(), 0, await error.count() ? await error.textContent() : "");
}

test("a resident applies online, the township works it through the notice, the county approves and the first payment follows", async () => {
  const seq = 100 + (Date.now() % 800);
  const resident = await newPage(browser, { phone: true });
  await resident.goto(`${BASE}/apply`);
  await resident.selectOption("#region_code", "331102001000");
  await resident.fill("#head_name", "孙海燕");
  await resident.fill("#head_id", residentId("331102", "19720315", seq));
  await resident.fill("[name=member2_name]", "刘强");
  await resident.fill("[name=member2_id]", residentId("331102", "19700608", seq + 1));
  await resident.fill("[name=member2_relation]", "配偶");
  await resident.fill("#income", "900");
  await resident.check("[data-testid=authorise]");
  await shot(resident, "assistance_apply_phone");
  await Promise.all([resident.waitForNavigation(), resident.click("[data-testid=submit-apply]")]);
  const ref = (await resident.textContent("[data-testid=apply-ref]")).trim();
  assert.match(ref, /^A\d{6}[0-9A-Z]{6}$/);

  // The township: the data check, a visit by two staff, the first review, the notice.
  const clerk = await newPage(browser);
  await login(clerk, "clerk");
  await clerk.goto(`${BASE}/applications?q=孙海燕`);
  await Promise.all([clerk.waitForNavigation(), clerk.click("text=孙海燕")]);
  const file = clerk.url().replace(/\?.*$/, "");
  await takeStep(clerk, "data_check", { text: "HD-2026-1123" });
  await takeStep(clerk, "investigate", { staff: ["徐建军", "王敏"] });
  await takeStep(clerk, "first_review", { text: "经入户调查，情况属实" });
  // The notice started eight days ago, so its seven days have run.
  await takeStep(clerk, "publish_notice", { on: shanghaiDay(-8) });
  const decision = await clerk.textContent("[data-testid=item][data-item=dibao] [data-testid=decision]");
  assert.match(decision, /符合最低生活保障条件/);
  await shot(clerk, "assistance_household_file");

  // The county approves.
  const county = await newPage(browser);
  await login(county, "approver");
  await county.goto(file);
  await takeStep(county, "approve", { text: "同意" });
  assert.match(await county.textContent("[data-testid=item][data-item=dibao] [data-testid=item-state]"), /已审核确认/);

  // Next month's run holds the first payment.
  await clerk.goto(`${BASE}/payments`);
  await Promise.all([clerk.waitForNavigation(), clerk.click("[data-testid=prepare-run]")]);
  const payments = clerk.locator("[data-testid=payments]");
  assert.match(await payments.textContent(), /孙海燕/);
  await shot(clerk, "assistance_payment_run");

  // The applicant reads the decision and why the amount is what it is.
  await resident.goto(`${BASE}/apply/status?ref=${ref}`);
  const why = await resident.textContent("[data-testid=why]");
  assert.match(why, /符合最低生活保障条件，金额 \d+/);
  const figures = await resident.textContent("[data-testid=why-figures]");
  assert.match(figures, /保障标准合计/);
  assert.match(figures, /家庭月收入/);
  assert.match(figures, /差额/);
  assert.match(await resident.textContent("[data-testid=apply-result]"), /发放起始月/);
  await shot(resident, "assistance_applicant_reads_why");
});
