// The dashboard in a real browser (Debian's Chromium, driven by puppeteer-core): it starts
// `flareq dev` on port 0 with queues and messages and checks what a person would see and do.
// FLAREQ_BINARY is the flareq to run; FLAREQ_SCREENSHOTS, if set, is where the README's
// screenshots are written.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { eventually } from "../eventually.mjs";

const flareq = process.env.FLAREQ_BINARY;
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";
const screenshots = process.env.FLAREQ_SCREENSHOTS;
const work = mkdtempSync(join(tmpdir(), "flareq-browser-"));
const devs = [];
let browser;
let consoleErrors = [];

// A handler that throws for messages saying {"fail": true} until the file "fixed" exists.
const handler = `import json, os, sys
batch = json.load(sys.stdin)
if not os.path.exists(os.path.join(os.environ["WORK"], "fixed")) and any(
        isinstance(m["body"], dict) and m["body"].get("fail") for m in batch["messages"]):
    sys.exit(1)
`;

async function startDev(name, extra = []) {
  const dir = join(work, name);
  const portFile = join(dir, "port");
  writeFileSync(join(work, "handler.py"), handler);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "wrangler.jsonc"), JSON.stringify({
    name: "shop",
    queues: {
      producers: [{ binding: "EVENTS", queue: "events" }],
      consumers: [{ queue: "orders", max_batch_timeout: 0, max_retries: 1, dead_letter_queue: "orders-dlq",
                    command: ["python3", join(work, "handler.py")] }],
    },
  }));
  const proc = spawn(flareq, ["dev", "--port", "0", "--port-file", portFile, "--state", join(dir, "state.sqlite"), ...extra],
                     { cwd: dir, env: { ...process.env, WORK: work }, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stdout.on("data", (d) => { log += d; });
  proc.stderr.on("data", (d) => { log += d; });
  devs.push(proc);
  await eventually(() => existsSync(portFile), 10000, "dev's port file").catch((e) => assert.fail(`${e.message}\n${log}`));
  const port = Number(readFileSync(portFile, "utf8"));
  assert.ok(port > 0, log);
  const url = `http://127.0.0.1:${port}`;
  return { url, api: `${url}/client/v4/accounts/local`, log: () => log };
}

async function post(dev, path, body, token) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const r = await fetch(dev.api + path, { method: "POST", body: JSON.stringify(body), headers });
  const answer = await r.json();
  assert.ok(answer.success, JSON.stringify(answer));
  return answer.result;
}

async function queueInfo(dev, name) {
  const overview = (await (await fetch(`${dev.api}/flareq/overview`)).json()).result;
  return overview.queues.find((q) => q.queue_name === name);
}

async function openPage(url) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(url, { waitUntil: "domcontentloaded" });
  return page;
}

const cellText = (page, queue, column) =>
  page.$eval(`tr[data-queue="${queue}"]`, (tr, c) => tr.children[c].textContent, column).catch(() => null);

let dev;
before(async () => {
  assert.ok(flareq, "set FLAREQ_BINARY");
  browser = await puppeteer.launch({ executablePath: chromium, headless: true,
                                     args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  dev = await startDev("main");
  if (screenshots) mkdirSync(screenshots, { recursive: true });
});

after(async () => {
  await browser?.close();
  for (const p of devs) p.kill("SIGTERM");
  await Promise.all(devs.map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.on("exit", r)))));
  rmSync(work, { recursive: true, force: true });
});

test("the overview shows every queue's counts and follows messages sent from outside", async () => {
  await post(dev, "/queues/events/messages/batch", { messages: [{ body: { n: 1 } }, { body: { n: 2 } }, { body: { n: 3 } }] });
  const page = await openPage(dev.url + "/");
  await eventually(async () => (await cellText(page, "events", 1)) === "3", 15000, "3 ready in events");
  assert.equal(await cellText(page, "orders", 7), "orders-dlq");
  assert.equal(await cellText(page, "orders", 6), "handler python3 handler.pybatch 10 · 0s · retries 1 · concurrency auto");
  assert.match(await page.$eval('tr[data-queue="orders"]', (tr) => tr.children[6].title), /^handler python3 \/.*\/handler\.py$/);
  await post(dev, "/queues/events/messages", { body: { n: 4 } });
  await post(dev, "/queues/events/messages", { body: "five", content_type: "text", delay_seconds: 3600 });
  await eventually(async () => (await cellText(page, "events", 1)) === "4" && (await cellText(page, "events", 2)) === "1", 15000, "the counts to follow without a reload");
  await page.close();
});

test("a queue's page names the R2 buckets that feed it, with their rules", async () => {
  const rule = { prefix: "images/", suffix: ".png", actions: ["PutObject", "CompleteMultipartUpload", "CopyObject"] };
  const r = await fetch(`${dev.api}/event_notifications/r2/uploads/configuration/queues/events`,
                        { method: "PUT", body: JSON.stringify({ rules: [rule] }) });
  const { result } = await r.json();
  const page = await openPage(dev.url + "/#/queue/events");
  await page.waitForSelector(`ul.feeds li[data-rule="${result.ruleIds[0]}"]`);
  const text = await page.$eval("ul.feeds li", (li) => li.textContent);
  assert.equal(text, `Fed by R2 bucket uploads: PutObject, CompleteMultipartUpload, CopyObject · prefix "images/" · suffix ".png" · rule ${result.ruleIds[0]}`);
  await fetch(`${dev.api}/event_notifications/r2/uploads/configuration/queues/events`, { method: "DELETE" });
  await page.close();
});

test("a message sent from the page appears, and opening it shows its body", async () => {
  const page = await openPage(dev.url + "/#/queue/events");
  await page.waitForSelector("form.send textarea");
  await page.type("form.send textarea", '{"hello": "from the page", "items": [1, 2]}');
  await page.click("form.send button[type=submit]");
  await page.waitForFunction(() => [...document.querySelectorAll("tr.message td.preview")].some((td) => td.textContent.includes("from the page")));
  assert.equal((await queueInfo(dev, "events")).backlog.count, 6);
  await page.select("select[name=order]", "newest");
  await page.waitForFunction(() => document.querySelector("tr.message td.preview")?.textContent.includes("from the page"));
  await page.click("tr.message");
  await page.waitForSelector(".detail h2, .detail p.error");
  assert.equal(await page.$(".detail p.error"), null, await page.$eval(".detail", (d) => d.textContent));
  const body = await page.$eval(".detail pre.body", (pre) => pre.textContent);
  assert.deepEqual(JSON.parse(body), { hello: "from the page", items: [1, 2] });
  assert.match(body, /\n {2}"hello"/);  // pretty-printed
  // A refused send shows the API's text.
  await page.select("form.send select[name=content_type]", "text");
  await page.$eval("form.send textarea", (t) => { t.value = "x".repeat(130000); });
  await page.click("form.send button[type=submit]");
  await page.waitForFunction(() =>
    document.getElementById("banner").textContent === "message length of 130000 bytes exceeds limit of 128000");
  consoleErrors = consoleErrors.filter((e) => !/status of 413/.test(e));  // the browser's note of that refusal
  await page.close();
});

test("the messages page through a queue by keyset, filtered by state and searched", async () => {
  const messages = Array.from({ length: 100 }, (_, i) => ({ body: { n: i, tag: i === 77 ? "needle" : "hay" } }));
  await post(dev, "/queues", { queue_name: "paged" });
  await post(dev, "/queues/paged/messages/batch", { messages });
  await post(dev, "/queues/paged/messages/batch", { messages: messages.slice(0, 30) });
  const page = await openPage(dev.url + "/#/queue/paged");
  await page.waitForFunction(() => document.querySelectorAll("tr.message").length === 50);
  const firstPage = await page.$$eval("tr.message", (rows) => rows.map((r) => r.dataset.id));
  await page.click(".pager button:last-child");
  await page.waitForFunction((first) => document.querySelector("tr.message")?.dataset.id !== first, {}, firstPage[0]);
  const secondPage = await page.$$eval("tr.message", (rows) => rows.map((r) => r.dataset.id));
  assert.equal(secondPage.length, 50);
  assert.equal(secondPage.filter((id) => firstPage.includes(id)).length, 0, "pages do not overlap");
  await page.type("input[name=search]", "needle");
  await page.waitForFunction(() => document.querySelectorAll("tr.message").length === 1);
  await page.click("input[name=search]", { clickCount: 3 });
  await page.type("input[name=search]", "no such text");
  await page.waitForFunction(() => /No messages/.test(document.querySelector("table.messages tbody").textContent));
  await page.close();
});

test("a failing handler fills the dead letter queue; a replay from the page sends the messages back", async () => {
  for (let i = 0; i < 3; i++) await post(dev, "/queues/orders/messages", { body: { order: i, fail: true } });
  await eventually(async () => (await queueInfo(dev, "orders-dlq"))?.backlog.count === 3, 15000, "3 dead letters");
  writeFileSync(join(work, "fixed"), "");  // the bug is fixed
  const page = await openPage(dev.url + "/#/queue/orders-dlq");
  await page.waitForSelector("section.replay");
  await page.waitForFunction(() => document.querySelectorAll("tr.message").length === 3);
  // Why they are there: where they came from, and how many deliveries failed there (1 + max_retries).
  await page.waitForFunction(() => [...document.querySelectorAll("tr.message td")].some((td) => td.textContent === "orders · failed 2×"));
  // And what the last delivery threw (here the handler's exit), in the message opened.
  await page.click("tr.message");
  await page.waitForSelector(".detail pre.error-text");
  assert.match(await page.$eval(".detail pre.error-text", (pre) => pre.textContent), /exit status 1/);
  if (screenshots) await page.screenshot({ path: join(screenshots, "dashboard-dlq.png"), fullPage: true });
  const buttons = await page.$$("section.replay button");
  await buttons[0].click();  // dry run
  await page.waitForFunction(() => /Would replay 3 message\(s\): 3 to orders/.test(document.querySelector(".replay-result").textContent));
  assert.equal((await queueInfo(dev, "orders-dlq")).backlog.count, 3, "a dry run moves nothing");
  await buttons[1].click();  // replay
  await page.waitForFunction(() => /Replayed 3 message\(s\): 3 to orders/.test(document.querySelector(".replay-result").textContent));
  await eventually(async () => (await queueInfo(dev, "orders")).counters.acked === 3, 15000, "the replayed messages to be acked");
  assert.equal((await queueInfo(dev, "orders-dlq")).backlog.count, 0);
  await page.close();
});

test("purge asks first, naming the count, and deletes only when confirmed", async () => {
  const page = await openPage(dev.url + "/#/queue/events");
  await page.waitForFunction(() => /6 ready|5 ready/.test(document.querySelector(".counts").textContent));
  const held = (await queueInfo(dev, "events")).backlog.count;
  await page.click(".queue-head button.danger");
  await page.waitForSelector("#confirm-dialog[open]");
  const question = await page.$eval("#confirm-text", (p) => p.textContent);
  assert.equal(question, `Delete all ${held} message(s) of queue 'events'? This cannot be undone.`);
  await page.click("#confirm-cancel");
  await page.waitForSelector("#confirm-dialog:not([open])");
  assert.equal((await queueInfo(dev, "events")).backlog.count, held);
  await page.click(".queue-head button.danger");
  await page.waitForSelector("#confirm-dialog[open]");
  await page.click("#confirm-ok");
  await eventually(async () => (await queueInfo(dev, "events")).backlog.count === 0, 15000, "the purge");
  await page.close();
});

test("the live log shows dev's batch lines, filtered by queue", async () => {
  const page = await openPage(dev.url + "/#/log");
  await post(dev, "/queues/orders/messages", { body: { order: 99 } });
  await page.waitForFunction(() => /QUEUE orders 1\/10/.test(document.querySelector("pre.log").textContent));
  await page.select("select[name=queue]", "paged");
  await page.waitForFunction(() => !/QUEUE orders/.test(document.querySelector("pre.log").textContent));
  await page.close();
});

test("the overview, for the README", async () => {
  const page = await openPage(dev.url + "/");
  await page.waitForSelector('tr[data-queue="orders"]');
  // Some traffic, so that the counts, ages, rates and charts show something.
  await post(dev, "/queues/events/messages/batch", { messages: Array.from({ length: 40 }, (_, i) => ({ body: { n: i }, delay_seconds: i < 12 ? 600 : 0 })) });
  for (let second = 0; second < 4; second++) {
    await post(dev, "/queues/orders/messages/batch", { messages: Array.from({ length: 25 + 10 * second }, (_, i) => ({ body: { order: i } })) });
    await new Promise((r) => setTimeout(r, 1000));
  }
  await eventually(async () => (await cellText(page, "events", 2)) === "12", 15000, "the delayed count");
  if (screenshots) await page.screenshot({ path: join(screenshots, "dashboard-overview.png") });
  // On a laptop's screen the table fits: no sideways scroll (it needed one at 1300 px with a
  // Worker consumer and a dead letter queue).
  const sideways = await page.$eval(".scroll", (s) => s.scrollWidth - s.clientWidth);
  assert.ok(sideways <= 0, `the queues table scrolls ${sideways}px sideways at 1280 px`);
  await page.setViewport({ width: 420, height: 800 });  // a narrow window: the table scrolls, the page does not
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a narrow window`);
  await page.close();
});

test("with --api-token the page shows nothing until the token is given", async () => {
  const guarded = await startDev("guarded", ["--api-token", "s3cret"]);
  await post(guarded, "/queues", { queue_name: "secrets" }, "s3cret");
  await post(guarded, "/queues/secrets/messages", { body: { n: 1 } }, "s3cret");
  const page = await openPage(guarded.url + "/");
  await page.waitForSelector("#token-dialog[open]");
  assert.equal(await page.$('tr[data-queue="secrets"]'), null);
  const anonymous = await fetch(`${guarded.api}/flareq/overview`);
  assert.equal(anonymous.status, 403);
  await page.type("#token-input", "s3cret");
  await page.click("#token-form button[type=submit]");
  await page.waitForSelector('tr[data-queue="secrets"]');
  assert.equal(await cellText(page, "secrets", 1), "1");
  consoleErrors = consoleErrors.filter((e) => !/403/.test(e));  // the refused calls before the token
  await page.close();
});

test("no page logged a console error", () => {
  assert.deepEqual(consoleErrors, []);
});
