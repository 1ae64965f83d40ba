// Drives the web console of a running `mtls-ca serve` in Debian's chromium (run by
// tests/api/console.rs): sign-in, browser key generation and issuance, search, revoke and
// reactivate watched without a reload, a read token's view and a forged change, sign-out;
// a screenshot and an axe-core check of every page.
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";
import { mkdirSync } from "node:fs";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const base = env("MTLS_CA_BASE_URL");
const shots = env("MTLS_CA_SCREENSHOTS");
mkdirSync(shots, { recursive: true });

let checks = 0;
const failures = [];
function check(ok, what) {
  if (ok) {
    checks++;
  } else {
    failures.push(what);
    console.error(`FAILED: ${what}`);
  }
}

async function look(page, name) {
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of bad) console.error(`axe ${name}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(" ")})`);
  check(bad.length === 0, `no serious or critical accessibility violation on ${name}`);
}

async function signIn(browser, fill) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/console/`);
  check(page.url().endsWith("/console/signin"), "an unsigned visitor is sent to the sign-in page");
  await fill(page);
  await Promise.all([page.waitForURL(`${base}/console/`), page.click("button[type=submit]")]);
  return { context, page };
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  // Sign-in page, then a write token.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/console/signin`);
    await look(page, "signin");
    await page.fill("#token", "mtlsca_not-a-real-token");
    await page.click("button[type=submit]");
    check((await page.textContent("[role=alert]")).includes("not valid"), "a bad token is refused with a clear message");
    await context.close();
  }
  const writer = await signIn(browser, (p) => p.fill("#token", env("MTLS_CA_WRITE_TOKEN")));
  let page = writer.page;
  const cookies = await writer.context.cookies();
  const session = cookies.find((c) => c.name === "mtlsca_console");
  check(session && session.httpOnly && session.sameSite === "Strict", "the session cookie is HttpOnly and SameSite=Strict");
  await look(page, "overview");

  // Issue with a key made in the browser.
  const cn = `browser-${Date.now()}`;
  await page.click("nav >> text=Issue");
  await page.fill("#cn", cn);
  await page.fill("#dns", `${cn}.example.com`);
  await page.click("#generate");
  await page.waitForFunction(() => document.getElementById("csr").value.includes("BEGIN CERTIFICATE REQUEST"));
  await page.fill("#validity_days", "30");
  await page.click("#submit");
  await page.waitForSelector("#issued:not([hidden])");
  const certId = await page.getAttribute("#issued", "data-certificate-id");
  check(/^[0-9a-f]{32}$/.test(certId || ""), "the browser-made CSR is issued");
  check(await page.isVisible("#download-key"), "the private key is offered as a download");
  const keyHref = await page.getAttribute("#download-key", "href");
  check(keyHref.startsWith("blob:"), "the key download is a local blob (it never left the browser)");
  await look(page, "issue");

  // Find it by search.
  await page.click("nav >> text=Certificates");
  await page.fill("#q", cn);
  await Promise.all([page.waitForURL(/q=/), page.click("form[role=search] button[type=submit]")]);
  check((await page.locator("table.certs tbody tr").count()) === 1, "a search by common name finds the certificate");
  await look(page, "certificates");
  await Promise.all([page.waitForURL(`${base}/console/certificates/${certId}`), page.click(`text=${cn}`)]);
  check((await page.textContent("main")).includes(`DNSName(${cn}.example.com)`), "the detail page decodes the SAN");
  await look(page, "certificate");

  // Revoke, and watch it become revoked without a reload.
  await page.click("text=Revoke…");
  await look(page, "confirm-revoke");
  await Promise.all([page.waitForURL(`${base}/console/certificates/${certId}`), page.click("button.danger")]);
  check((await page.getAttribute("#status", "data-status")) === "pending_revocation", "a revocation is first pending");
  await page.evaluate(() => { window.__notReloaded = true; });
  await page.waitForSelector('#status[data-status="revoked"]', { timeout: 30000 });
  check(await page.evaluate(() => window.__notReloaded === true), "the status became revoked without a reload");
  check(await page.isVisible("text=Reactivate…"), "a revoked certificate offers reactivation");
  await page.click("text=Reactivate…");
  await Promise.all([page.waitForURL(`${base}/console/certificates/${certId}`), page.click("button.danger")]);
  await page.waitForSelector('#status[data-status="active"]', { timeout: 30000 });
  check(await page.isVisible("text=Revoke…"), "the reactivated certificate is active again");

  // The administrator's pages, as a user with a Global API Key.
  const admin = await signIn(browser, async (p) => {
    await p.fill("#email", env("MTLS_CA_EMAIL"));
    await p.fill("#key", env("MTLS_CA_KEY"));
  });
  for (const [name, path] of [["zones", "/console/zones"], ["tokens", "/console/tokens"], ["users", "/console/users"], ["cas", "/console/cas"], ["audit", "/console/audit"]]) {
    await admin.page.goto(`${base}${path}`);
    await look(admin.page, name);
  }
  await admin.page.goto(`${base}/console/tokens`);
  await admin.page.click("summary");
  await admin.page.fill("#tname", `console-${Date.now()}`);
  await admin.page.check(`input[value="7b7216b327b04b8fbc8f524e1f9b7531"]`);
  await admin.page.click("form[action='/console/tokens'] button[type=submit]");
  check((await admin.page.inputValue("#secret")).startsWith("mtlsca_"), "a new token's secret is shown once");
  await admin.page.goto(`${base}/console/audit?interface=console`);
  check((await admin.page.textContent("main")).includes("console"), "the audit log shows the console's changes");
  await admin.context.close();

  // A phone's viewport.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/console/`);
  await page.screenshot({ path: `${shots}/overview-phone.png`, fullPage: true });
  await page.goto(`${base}/console/certificates/${certId}`);
  await page.screenshot({ path: `${shots}/certificate-phone.png`, fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  check(!overflow, "the detail page fits a phone's width");
  await page.setViewportSize({ width: 1280, height: 900 });

  // A read token: no change controls, and a forged change is refused.
  const reader = await signIn(browser, (p) => p.fill("#token", env("MTLS_CA_READ_TOKEN")));
  await reader.page.goto(`${base}/console/certificates/${certId}`);
  check((await reader.page.locator("text=Revoke…").count()) === 0, "a read token sees no revoke control");
  check((await reader.page.locator("nav >> text=Issue").count()) === 0, "a read token sees no Issue page");
  await look(reader.page, "certificate-read-only");
  const csrf = await reader.page.getAttribute("meta[name=csrf-token]", "content");
  const forged = await reader.page.request.post(`${base}/console/certificates/${certId}/revoke`, { form: { csrf } });
  check(forged.status() === 403, `a read token's forged revoke is refused (got ${forged.status()})`);
  const noCsrf = await page.request.post(`${base}/console/certificates/${certId}/revoke`, { form: {} });
  check(noCsrf.status() === 403, `a revoke without the CSRF token is refused (got ${noCsrf.status()})`);
  await reader.context.close();

  // Sign out: the old cookie is refused afterwards.
  await Promise.all([page.waitForURL(`${base}/console/signin`), page.click("text=Sign out")]);
  const after = await page.request.get(`${base}/console/api/certificates/${certId}`, { headers: { Cookie: `mtlsca_console=${session.value}` } });
  check(after.status() === 401, `the signed-out session is refused (got ${after.status()})`);
  await page.goto(`${base}/console/`);
  check(page.url().endsWith("/console/signin"), "after sign-out the console asks to sign in");
  await writer.context.close();
} finally {
  await browser.close();
}
console.log(`console check: ${checks} passed, ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);
