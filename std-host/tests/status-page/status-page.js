// Drives the status page of a running `jinn serve` in headless Chromium and
// prints what it saw as one JSON object on stdout; the Rust test
// (std-host/tests/status_browser.rs) starts the gateway, makes the calls and
// checks the report. Exits non-zero when the browser cannot do its part.
//
// Environment: JINN_ADMIN (http://127.0.0.1:PORT), JINN_TOKEN (admin token),
// JINN_PROFILE (a fresh, empty directory for Chromium's profile),
// JINN_SCREENSHOT (where to write a PNG of the page), JINN_FUNCTION (the
// function whose row to wait for).
'use strict';

const { chromium } = require('playwright-core');

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const admin = env('JINN_ADMIN');
const token = env('JINN_TOKEN');
const profile = env('JINN_PROFILE');
const screenshot = env('JINN_SCREENSHOT');
const watched = env('JINN_FUNCTION');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function main() {
  const report = {};
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport: { width: 1180, height: 760 },
  });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    // Anything the page's own code does against the policy, and its errors.
    await page.addInitScript(() => {
      window.__jinnViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__jinnViolations.push(`${e.effectiveDirective} ${e.blockedURI}`);
      });
    });
    const policyMessages = [];
    const pageErrors = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content.Security.Policy/i.test(m.text())) policyMessages.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));

    const response = await page.goto(`${admin}/status`);
    report.page_status = response.status();
    report.csp_header = response.headers()['content-security-policy'] || null;

    // Without the token the page asks for it.
    await page.waitForSelector('#login:not([hidden])');
    report.login_shown = await page.isVisible('#token-form');
    report.main_hidden_without_token = await page.isHidden('#main');

    // An action without the token, from the page's own origin.
    report.action_without_token = await page.evaluate(async () => {
      const r = await fetch('/status/actions/reload', { method: 'POST' });
      return { status: r.status, body: await r.json() };
    });

    // With the token the page renders the gateway's numbers.
    await page.fill('#token', token);
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector(`#functions tr[data-function="${watched}"]`);
    report.functions = await page.$$eval('#functions tbody tr', (rows) => rows.map((tr) => ({
      name: tr.dataset.function,
      status: tr.querySelector('.status').textContent,
      calls: tr.querySelector('.calls').textContent,
      errors: tr.querySelector('.errors').textContent,
      fuel_p50: tr.querySelector('.fuel-p50').textContent,
      quota: tr.querySelector('.quota').textContent,
      sparkline_bars: tr.querySelectorAll('.history svg rect').length,
    })));
    report.failures = await page.$$eval('#failures tbody tr', (rows) => rows.map((tr) => ({
      trace_id: tr.querySelector('.trace-id').textContent,
      function: tr.querySelector('.function').textContent,
      kind: tr.querySelector('.error strong').textContent,
      replay: tr.querySelector('.replay-command') ? tr.querySelector('.replay-command').textContent : null,
    })));
    report.attention = await page.$$eval('#attention li', (items) => items.map((li) => ({
      what: li.dataset.what,
      level: li.className,
      text: li.textContent,
    })));
    report.brokers = await page.$$eval('#brokers tbody tr', (rows) => rows.map((tr) => ({
      name: tr.dataset.connection,
      url: tr.querySelector('.url').textContent,
      state: tr.querySelector('.state').textContent,
      required: tr.querySelector('.required').textContent,
      outbox_messages: tr.querySelector('.outbox-messages').textContent,
      dead_letters: tr.querySelector('.dead-letters').textContent,
    })));
    report.brokers_table_visible = await page.isVisible('#brokers');
    report.summary = await page.textContent('#summary');
    report.violations_before_injection = await page.evaluate(() => window.__jinnViolations.slice());
    report.policy_messages_before_injection = policyMessages.slice();
    report.page_errors = pageErrors;

    await page.screenshot({ path: screenshot });

    // The policy blocks an inline script injected into the page.
    report.injected = await page.evaluate(() => new Promise((resolve) => {
      const seen = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        seen.push({ directive: e.effectiveDirective, disposition: e.disposition });
      });
      const s = document.createElement('script');
      s.textContent = 'window.__jinnInlineRan = true;';
      document.body.append(s);
      // Violation events are dispatched asynchronously.
      setTimeout(() => resolve({ ran: window.__jinnInlineRan === true, violations: seen }), 500);
    }));

    // The action with the token: the page's reload button.
    const visible = await page.isVisible('#reload');
    report.reload_button_visible = visible;
    if (visible) {
      await page.click('#reload');
      await page.waitForFunction(() => /reloaded|refused|failed/.test(
        document.getElementById('action-result').textContent));
      report.action_with_token = await page.textContent('#action-result');
      await page.waitForSelector('#reloads tbody tr');
      report.first_reload = await page.textContent('#reloads tbody tr');
    }
  } finally {
    await context.close();
  }
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((e) => {
  process.stderr.write(`status-page.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
