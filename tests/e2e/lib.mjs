// Shared helpers of the browser tests: the server's address, Chromium, axe-core, login, screenshots, outbox.
//
// Every test file runs in its own node process (node --test); each launches one Chromium with `launch()`
// in a `before` hook and closes it in `after`, and makes a fresh context per page or journey.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

/** The running server, without a trailing slash (scripts/e2e sets GUICHET_E2E_URL). */
export const BASE = (process.env.GUICHET_E2E_URL || '').replace(/\/+$/, '');
if (!BASE) {
  throw new Error('GUICHET_E2E_URL is not set: run the browser tests with scripts/e2e (or start `guichet serve --demo` and set it)');
}

/** The server's data directory (for the `.eml` outbox); scripts/e2e sets GUICHET_E2E_DATA_DIR. */
export const DATA_DIR = process.env.GUICHET_E2E_DATA_DIR || '';

/** Where screenshots go: `<repository>/target/e2e/` unless GUICHET_E2E_SCREENSHOTS says otherwise. */
export const SCREENSHOT_DIR =
  process.env.GUICHET_E2E_SCREENSHOTS || fileURLToPath(new URL('../../target/e2e/', import.meta.url));

/** Demo accounts created by `guichet serve --demo`. */
export const ACCOUNTS = {
  usager: { email: 'usager@demo.guichet.test', password: 'demo usager guichet' },
  instructeurApa: { email: 'instructeur.apa@demo.guichet.test', password: 'demo instructeur apa' },
  instructeurMdph: { email: 'instructeur.mdph@demo.guichet.test', password: 'demo instructeur mdph' },
  admin: { email: 'admin@demo.guichet.test', password: 'demo admin guichet' },
};

export const DESKTOP = { width: 1280, height: 900 };
export const NARROW = { width: 320, height: 720 };

/** Absolute URL of a path on the server. */
export const url = (path) => BASE + path;

/** Debian's Chromium, headless, with the flags this machine's closed network needs. Never downloads a browser. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh context (own cookies); `options` go to `browser.newContext` (viewport, javaScriptEnabled…). */
export function newContext(browser, options = {}) {
  return browser.newContext({ viewport: DESKTOP, locale: 'fr-FR', ...options });
}

// ------------------------------------------------------------------------------------------------- axe

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs axe-core on the page with the WCAG 2.1 A and AA rules and fails with every violation: its rule id,
 * impact, help text and the selectors of the offending nodes, under the page's label.
 *
 * axe is evaluated through the DevTools protocol rather than added as a <script>: the pages' Content
 * Security Policy (script-src 'self') rightly refuses inline scripts, and this also works with JavaScript
 * disabled. Returns axe's results (passes, incomplete…) for callers who want more.
 */
export async function checkA11y(page, label) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(AXE_SOURCE);
  }
  const results = await page.evaluate(
    (values) => window.axe.run(document, { runOnly: { type: 'tag', values }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
  if (results.violations.length > 0) {
    const lines = results.violations.map((v) => {
      const nodes = v.nodes.map((n) => `      ${n.target.join(' ')}${n.failureSummary ? `: ${oneLine(n.failureSummary)}` : ''}`);
      return `  - ${v.id} (${v.impact}): ${v.help} [${v.helpUrl}]\n${nodes.join('\n')}`;
    });
    assert.fail(`axe: ${results.violations.length} violation(s) on ${label} (${page.url()}):\n${lines.join('\n')}`);
  }
  return results;
}

const oneLine = (s) => s.replace(/\s*\n\s*/g, ' ').trim();

// ------------------------------------------------------------------------------------------ navigation

/** Goes to `path` and checks the HTTP status of the final response (after redirects). */
export async function visit(page, path, status = 200) {
  const res = await page.goto(url(path), { waitUntil: 'load' });
  assert.ok(res, `no response for ${path}`);
  assert.equal(res.status(), status, `${path} answered ${res.status()}, expected ${status}`);
  return res;
}

/** Submits the page's main form (the one inside <main>) as it is, by clicking its submit button. */
export async function submitMainForm(page, status) {
  const [res] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator('main form button[type=submit], main form input[type=submit]').last().click(),
  ]);
  if (status !== undefined) {
    assert.equal(res?.status(), status, `submitting the form of ${page.url()} answered ${res?.status()}, expected ${status}`);
  }
  return res;
}

/** Logs in through the login form (works with JavaScript disabled too); ends on /compte (or `suite`). */
export async function login(page, account) {
  await visit(page, '/connexion');
  await page.fill('#email', account.email);
  await page.fill('#mot_de_passe', account.password);
  const res = await submitMainForm(page);
  assert.equal(res?.status(), 200, `login of ${account.email} answered ${res?.status()}`);
  assert.doesNotMatch(new URL(page.url()).pathname, /^\/connexion/, `login of ${account.email} failed: still on ${page.url()}`);
}

/** A new context already logged in as `account`. */
export async function loggedInContext(browser, account, options = {}) {
  const context = await newContext(browser, options);
  const page = await context.newPage();
  await login(page, account);
  await page.close();
  return context;
}

// ------------------------------------------------------------------------------------------ screenshots

/** Writes a full-page PNG `<SCREENSHOT_DIR>/<name>-<width>.png` and returns its path. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const width = page.viewportSize()?.width ?? 0;
  const path = join(SCREENSHOT_DIR, `${name}-${width}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// --------------------------------------------------------------------------------------------- outbox

/**
 * Waits for the newest `.eml` addressed to `to` in `<data dir>/outbox/` (emails are written by a
 * background worker) and returns it parsed: { file, headers, text } where `text` is every text part,
 * decoded (quoted-printable or base64, UTF-8).
 */
export async function waitForEmail(to, { since = 0, timeoutMs = 15000 } = {}) {
  assert.ok(DATA_DIR, 'GUICHET_E2E_DATA_DIR is not set: the outbox cannot be read');
  const dir = join(DATA_DIR, 'outbox');
  const deadline = Date.now() + timeoutMs;
  const needle = to.toLowerCase();
  for (;;) {
    let files = [];
    try {
      files = readdirSync(dir)
        .filter((f) => f.endsWith('.eml'))
        .map((f) => ({ file: join(dir, f), mtime: statSync(join(dir, f)).mtimeMs }))
        .filter((f) => f.mtime >= since)
        .sort((a, b) => b.mtime - a.mtime);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    for (const { file } of files) {
      const mail = parseEmail(readFileSync(file));
      if ((mail.headers.to || '').toLowerCase().includes(needle)) return { file, ...mail };
    }
    if (Date.now() > deadline) assert.fail(`no email to ${to} in ${dir} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The first link in `text` whose path starts with `pathPrefix`, rebased onto BASE. */
export function findLink(text, pathPrefix) {
  for (const m of text.matchAll(/https?:\/\/[^\s"'<>]+/g)) {
    const u = new URL(m[0]);
    if (u.pathname.startsWith(pathPrefix)) return u.pathname + u.search;
  }
  assert.fail(`no link to ${pathPrefix} in the email:\n${text}`);
}

/** A small MIME reader: headers (lower-cased, unfolded, RFC 2047 words decoded) and decoded text parts. */
export function parseEmail(raw) {
  const { headers, body } = splitHeaders(raw.toString('latin1'));
  return { headers, text: textParts(headers, body).join('\n') };
}

function splitHeaders(s) {
  const m = /\r?\n\r?\n/.exec(s);
  const head = m ? s.slice(0, m.index) : s;
  const body = m ? s.slice(m.index + m[0].length) : '';
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = decodeWords(line.slice(i + 1).trim());
  }
  return { headers, body };
}

function textParts(headers, body) {
  const type = (headers['content-type'] || 'text/plain').toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'])?.[1];
    if (!boundary) return [];
    return body
      .split(`--${boundary}`)
      .slice(1)
      .filter((p) => !p.startsWith('--'))
      .flatMap((p) => {
        const part = splitHeaders(p.replace(/^\r?\n/, ''));
        return textParts(part.headers, part.body);
      });
  }
  if (!type.startsWith('text/')) return [];
  const enc = (headers['content-transfer-encoding'] || '7bit').toLowerCase();
  let bytes;
  if (enc === 'base64') bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  else if (enc === 'quoted-printable') bytes = decodeQuotedPrintable(body);
  else bytes = Buffer.from(body, 'latin1');
  return [bytes.toString('utf8')];
}

function decodeQuotedPrintable(s) {
  const soft = s.replace(/=\r?\n/g, '');
  const out = [];
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      out.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(soft.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(out);
}

function decodeWords(s) {
  return s.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, _charset, enc, text) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : decodeQuotedPrintable(text.replace(/_/g, ' ')).toString('utf8'),
  );
}

// ------------------------------------------------------------------------------------------- keyboard

/** A short description of the focused element, e.g. `input#email` or `a[href="/connexion"] "Se connecter"`. */
export function focusedDescription(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    const id = el.id ? `#${el.id}` : '';
    const href = el.getAttribute('href') ? `[href="${el.getAttribute('href')}"]` : '';
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return `${el.tagName.toLowerCase()}${id}${href}${text ? ` "${text}"` : ''}`;
  });
}

/**
 * Presses Tab (or Shift+Tab with `{ back: true }`) until the focused element matches `selector`, at most
 * `max` times; fails with the path taken. Keyboard journeys use it instead of clicking.
 */
export async function tabTo(page, selector, { max = 40, back = false } = {}) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    seen.push(await focusedDescription(page));
  }
  assert.fail(`${selector} not reached with ${max} × ${back ? 'Shift+Tab' : 'Tab'} on ${page.url()}; focus went: ${seen.join(' → ')}`);
}
