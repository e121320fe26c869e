// Shared helpers of the browser tests: the server's address, Chromium, axe-core, login, screenshots, outbox.
//
// Every test file runs in its own node process (node --test); each launches one Chromium with `launch()`
// in a `before` hook and closes it in `after`, and makes a fresh context per page or journey.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
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

const ROOT_DIR = fileURLToPath(new URL('../../', import.meta.url));
const TARGET_DIR = process.env.CARGO_TARGET_DIR || 'target';
/** The binary scripts/e2e built (or the one GUICHET_E2E_BIN names), as scripts/e2e finds it. */
export const GUICHET_BIN =
  process.env.GUICHET_E2E_BIN || join(isAbsolute(TARGET_DIR) ? TARGET_DIR : join(ROOT_DIR, TARGET_DIR), 'debug', 'guichet');

/** SQL on the server's SQLite file (WAL: the server keeps running): how the tests move the clock. */
export function serverSql(statement) {
  const db = join(DATA_DIR, 'guichet.db');
  assert.ok(existsSync(db), `no SQLite file at ${db}: these tests need the server scripts/e2e starts`);
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', db, statement], { encoding: 'utf8' });
}

/** Runs a `guichet` command on the server's own database (as scripts/e2e starts it); returns its output. */
export function runGuichet(args) {
  assert.ok(existsSync(GUICHET_BIN), `no guichet binary at ${GUICHET_BIN} (set GUICHET_E2E_BIN)`);
  const env = { ...process.env, GUICHET_DATA_DIR: DATA_DIR, GUICHET_FORMS_DIR: join(ROOT_DIR, 'forms') };
  delete env.GUICHET_DATABASE_URL;
  delete env.GUICHET_CONFIG;
  return execFileSync(GUICHET_BIN, args, { encoding: 'utf8', env });
}

/** Where screenshots go: `<repository>/target/e2e/` unless GUICHET_E2E_SCREENSHOTS says otherwise. */
export const SCREENSHOT_DIR =
  process.env.GUICHET_E2E_SCREENSHOTS || fileURLToPath(new URL('../../target/e2e/', import.meta.url));

/** Demo accounts created by `guichet serve --demo`. */
export const ACCOUNTS = {
  usager: { email: 'usager@demo.guichet.test', password: 'demo usager guichet' },
  instructeurApa: { email: 'instructeur.apa@demo.guichet.test', password: 'demo instructeur apa' },
  instructeurMdph: { email: 'instructeur.mdph@demo.guichet.test', password: 'demo instructeur mdph' },
  admin: { email: 'admin@demo.guichet.test', password: 'demo admin guichet' },
  expertMdph: { email: 'expert.mdph@demo.guichet.test', password: 'demo expert mdph' },
  mere: { email: 'famille.mere@demo.guichet.test', password: 'demo mere guichet' },
  frere: { email: 'famille.frere@demo.guichet.test', password: 'demo frere guichet' },
};

export const DESKTOP = { width: 1280, height: 900 };
export const NARROW = { width: 320, height: 720 };
/** Where text is resized to 200 % (WCAG 1.4.4). */
export const ZOOM = { width: 640, height: 900 };

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
    // A step's main action is « Continuer », whatever other buttons its form has (« Enregistrer et
    // reprendre plus tard » comes after it); elsewhere the form's last button.
    ((await page.locator('main form button[type=submit][value=continuer]').count())
      ? page.locator('main form button[type=submit][value=continuer]')
      : page.locator('main form button[type=submit], main form input[type=submit]')
    ).last().click(),
  ]);
  if (status !== undefined) {
    assert.equal(res?.status(), status, `submitting the form of ${page.url()} answered ${res?.status()}, expected ${status}`);
  }
  return res;
}

/** Logs in through the login form (works with JavaScript disabled too); ends on « Mes dossiers », « Instruction » (staff) or `suite`. */
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
 * decoded (quoted-printable or base64, UTF-8). `subject`: a RegExp the subject must match (another email
 * to the same person may come in between).
 */
export async function waitForEmail(to, { since = 0, timeoutMs = 15000, subject = null } = {}) {
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
      if (!(mail.headers.to || '').toLowerCase().includes(needle)) continue;
      if (subject && !subject.test(mail.headers.subject || '')) continue;
      return { file, ...mail };
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

// ---------------------------------------------------------------------------------- page-level checks
//
// The checks every page type gets, as functions on a page in its current state: the PAGES tests (one
// fresh page per check) and the journeys (every page they meet, in place) share them.

/** What sticks out on the right of the viewport, for failure messages. */
export function overflowing(page, width) {
  return page.evaluate((w) => {
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > w + 0.5 && r.width > 0) {
        out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''} (right ${Math.round(r.right)})`);
      }
    }
    return out.slice(0, 10).join(', ');
  }, width);
}

/** Reflow (WCAG 1.4.10): at the current viewport width (320 px in the tests), no horizontal scrolling. */
export async function checkReflow(page, label) {
  const width = page.viewportSize().width;
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= width, `${label} is ${scrollWidth} px wide at ${width} px: ${await overflowing(page, width)}`);
}

/**
 * Text at 200 % (WCAG 1.4.4), at the current viewport (640 px in the tests): the main heading grew and
 * is not clipped, no horizontal scrolling, nothing clips its content. Puts the text size back afterwards.
 */
export async function checkTextZoom(page, label) {
  const width = page.viewportSize().width;
  const before = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('main h1')).fontSize));
  await page.evaluate(() => {
    document.documentElement.style.fontSize = '200%';
  });
  try {
    const r = await page.evaluate(() => {
      const h1 = document.querySelector('main h1');
      const clipped = [];
      for (const el of document.body.querySelectorAll('*')) {
        if (el.closest('.visuellement-cache, .lien-evitement')) continue;
        const s = getComputedStyle(el);
        // Scrollable regions (auto, scroll) keep their content reachable; hidden and clip lose it.
        const hidesX = s.overflowX === 'hidden' || s.overflowX === 'clip';
        const hidesY = s.overflowY === 'hidden' || s.overflowY === 'clip';
        if ((hidesX && el.scrollWidth > el.clientWidth + 1) || (hidesY && el.scrollHeight > el.clientHeight + 1)) {
          clipped.push(`${el.tagName.toLowerCase()}${el.className ? `.${el.className}` : ''}`);
        }
      }
      return {
        scrollWidth: document.documentElement.scrollWidth,
        h1: {
          fontSize: parseFloat(getComputedStyle(h1).fontSize),
          scrollWidth: h1.scrollWidth,
          clientWidth: h1.clientWidth,
          scrollHeight: h1.scrollHeight,
          clientHeight: h1.clientHeight,
          right: h1.getBoundingClientRect().right,
        },
        clipped,
      };
    });
    assert.ok(r.h1.fontSize >= before * 1.9, `the main heading of ${label} did not grow with the text size (${before} → ${r.h1.fontSize} px)`);
    assert.ok(r.scrollWidth <= width, `${label} is ${r.scrollWidth} px wide at ${width} px with 200 % text: ${await overflowing(page, width)}`);
    assert.ok(
      r.h1.scrollWidth <= r.h1.clientWidth + 1 && r.h1.scrollHeight <= r.h1.clientHeight + 1 && r.h1.right <= width,
      `the main heading's text of ${label} is clipped with 200 % text: ${JSON.stringify(r.h1)}`,
    );
    assert.deepEqual(r.clipped, [], `elements of ${label} clip their content with 200 % text`);
  } finally {
    await page.evaluate(() => {
      document.documentElement.style.fontSize = '';
    });
  }
}

/** Remembers each focusable element's unfocused look, to tell a focus box-shadow from a permanent one. */
export function rememberUnfocusedLook(page) {
  return page.evaluate(() => {
    window.__e2eUnfocused = new Map();
    for (const el of document.querySelectorAll('a, button, input, select, textarea, summary, [tabindex]')) {
      if (el !== document.activeElement) window.__e2eUnfocused.set(el, getComputedStyle(el).boxShadow);
    }
  });
}

/**
 * The focused element's focus indicator: { outline, shadow, style } (an outline, or a box-shadow it does
 * not have unfocused; call `rememberUnfocusedLook` after the page loads), `null` when nothing is focused,
 * `{ seen: true }` for an element already met by `checkFocusVisible`.
 */
export function focusIndicator(page, { mark = false } = {}) {
  return page.evaluate((mark) => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    if (mark && el.dataset.e2eSeen) return { seen: true };
    if (mark) el.dataset.e2eSeen = '1';
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && s.outlineColor !== 'rgba(0, 0, 0, 0)';
    const unfocused = window.__e2eUnfocused?.get(el);
    const shadow = s.boxShadow !== 'none' && unfocused !== undefined && s.boxShadow !== unfocused;
    // As focusedDescription says it, without another round trip.
    const id = el.id ? `#${el.id}` : '';
    const href = el.getAttribute('href') ? `[href="${el.getAttribute('href')}"]` : '';
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    const what = `${el.tagName.toLowerCase()}${id}${href}${text ? ` "${text}"` : ''}`;
    return { outline, shadow, what, style: `outline: ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}; box-shadow: ${s.boxShadow}` };
  }, mark);
}

/** Fails unless the focused element shows a visible focus indicator. */
export async function assertFocusVisible(page, label) {
  const stop = await focusIndicator(page);
  if (!stop) return;
  assert.ok(stop.outline || stop.shadow, `no visible focus indicator on ${stop.what} (${stop.style}) on ${label}`);
}

/**
 * Presses Tab from where the focus is until it leaves the page or comes back to a stop already seen, and
 * checks each stop has a visible focus indicator (an outline, or a box-shadow it doesn't have unfocused).
 * Returns the stops, described.
 */
export async function checkFocusVisible(page, label, { minStops = 3 } = {}) {
  await rememberUnfocusedLook(page);
  const stops = [];
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press('Tab');
    const stop = await focusIndicator(page, { mark: true });
    if (!stop || stop.seen) break;
    stops.push(stop.what);
    assert.ok(stop.outline || stop.shadow, `no visible focus indicator on ${stop.what} (${stop.style}) on ${label}`);
  }
  await page.evaluate(() => {
    for (const el of document.querySelectorAll('[data-e2e-seen]')) delete el.dataset.e2eSeen;
  });
  assert.ok(stops.length >= minStops, `only ${stops.length} Tab stops on ${label}: ${stops.join(' → ')}`);
  return stops;
}

/**
 * The skip link: the first Tab stop of a freshly loaded page (`pressed: true` when the caller already
 * brought the focus onto the first stop), visible when focused, in-page, moving the focus to <main>, after
 * which Tab goes on inside the main content.
 */
export async function checkSkipLink(page, label, { pressed = false } = {}) {
  if (!pressed) await page.keyboard.press('Tab');
  const link = await page.evaluate(() => {
    const el = document.activeElement;
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return {
      tag: el.tagName,
      href: el.getAttribute('href') || '',
      text: el.textContent.trim(),
      rect: { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height },
      vw: document.documentElement.clientWidth,
      vh: window.innerHeight,
      visible: s.visibility === 'visible' && Number(s.opacity) > 0,
    };
  });
  assert.equal(link.tag, 'A', `first Tab stop of ${label} is ${await focusedDescription(page)}, not the skip link`);
  assert.match(link.href, /^#./, `first Tab stop ${link.text} of ${label} is not an in-page link`);
  const { rect, vw, vh } = link;
  assert.ok(
    link.visible && rect.width > 0 && rect.height > 0 && rect.left >= 0 && rect.top >= 0 && rect.right <= vw && rect.bottom <= vh,
    `skip link "${link.text}" of ${label} is not visible when focused: ${JSON.stringify(link)}`,
  );
  await page.keyboard.press('Enter');
  const target = link.href.slice(1);
  const focused = await page.evaluate(() => ({ id: document.activeElement.id, tag: document.activeElement.tagName }));
  assert.equal(focused.id, target, `after the skip link of ${label}, focus is on ${await focusedDescription(page)}`);
  assert.equal(focused.tag, 'MAIN', `the skip link's target #${target} of ${label} is not <main>`);
  // The next Tab stop is inside the main content, not back in the header.
  await page.keyboard.press('Tab');
  const inMain = await page.evaluate(() => {
    const main = document.querySelector('main');
    const el = document.activeElement;
    return main.contains(el) || Boolean(main.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
  });
  assert.ok(inMain, `after the skip link of ${label}, Tab goes to ${await focusedDescription(page)}, before <main>`);
}

/**
 * A page just shown after a failed submit: title "Erreur : …", one error summary (role alert) holding the
 * focus, linking to `fields` in order (when given; else to whatever it links to), the next Tab stop is its
 * first link, every linked field is aria-invalid (or a group containing invalid inputs) and described by
 * its message, and each link moves the focus to its field. Returns the ids linked to.
 */
export async function checkErrorSummary(page, label, fields) {
  assert.match(await page.title(), /^Erreur : /, `the title of ${label} does not start with "Erreur :"`);
  const summary = page.locator('.resume-erreurs');
  assert.equal(await summary.count(), 1, `no error summary on ${label}`);
  assert.equal(await summary.getAttribute('role'), 'alert');
  // The summary has `autofocus`, which the browser applies at its next rendering update.
  await page.waitForFunction(() => document.activeElement?.id === 'resume-erreurs', null, { timeout: 2000 }).catch(() => {});
  assert.equal(
    await page.evaluate(() => document.activeElement.id),
    'resume-erreurs',
    `after the failed submit of ${label}, focus is on ${await focusedDescription(page)}, not on the error summary`,
  );
  const hrefs = await summary.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  if (fields) assert.deepEqual(hrefs, fields.map((f) => `#${f}`), `the error summary of ${label} does not link to the expected fields`);
  const ids = hrefs.map((h) => decodeURIComponent(h.replace(/^#/, '')));
  assert.ok(ids.length > 0, `the error summary of ${label} has no link`);
  // From the summary, the next Tab stop is its first link.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), hrefs[0], `on ${label}, Tab from the error summary does not reach its first link`);
  for (const id of ids) {
    const field = await page.evaluate((id) => {
      const el = document.getElementById(id);
      if (!el) return null;
      // A text field says so itself; a radio or checkbox group (whose message describes the fieldset)
      // and a repeating group are marked by the field block around them.
      const grouped = ['radio', 'checkbox'].includes(el.type) || !['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
      const invalid = el.getAttribute('aria-invalid') === 'true' || (grouped && Boolean(el.closest('.champ--erreur')));
      // The message is reachable from the field: its aria-describedby, or that of the fieldset around it.
      const described = [el, el.closest('fieldset')].filter(Boolean).some((e) => (e.getAttribute('aria-describedby') || '').split(/\s+/).includes(`${id}-erreur`));
      return { invalid, described, message: Boolean(document.getElementById(`${id}-erreur`)) };
    }, id);
    assert.ok(field, `the error summary of ${label} links to #${id}, which does not exist`);
    assert.ok(field.invalid, `#${id} on ${label} is not marked invalid`);
    assert.ok(field.message, `#${id} on ${label} has no error message #${id}-erreur next to it`);
    assert.ok(field.described, `#${id} on ${label} is not described by its error message #${id}-erreur`);
  }
  for (const [i, id] of ids.entries()) {
    await summary.locator('a').nth(i).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => document.activeElement?.id === id, id, { timeout: 2000 }).catch(() => {});
    const active = await page.evaluate(() => document.activeElement.id);
    assert.equal(active, id, `the error summary's link #${id} of ${label} left focus on ${await focusedDescription(page)}`);
  }
  return ids;
}

/**
 * A page checker for a test file. `checkPage(t, page, {…})` runs every check of a page, on the page as it
 * is now, as a subtest `label`:
 *   kind 'page'   axe, a visible focus on every Tab stop, the skip link, reflow at 320 px, text at 200 %;
 *   kind 'errors' first the error summary (focus on it, links to `fields` in order, each moves the focus to
 *                 its field, which is invalid and described by its message), then axe, the focus, reflow, zoom.
 * With `details: true`, the page is checked again with every `<details>` open (`<name>-details-ouverts`),
 * and with every one closed (`<name>-details-fermes`) when some are open as served.
 * Screenshots `<name>-1280.png` and `<name>-320.png`. The page is left at the desktop size.
 * `pages` (named `listName` in messages) lists the names a file may check, and `checked` collects those
 * met (a last test of the file compares them); `closedVariant` also checks `<name>-details-fermes` when
 * some `<details>` are open as served.
 */
export function pageChecks({ pages = null, listName = 'the pages list', checked = null, closedVariant = false } = {}) {
  return async function checkPage(t, page, { name, label, kind = 'page', fields, details = false }) {
    assert.ok(!pages || pages.includes(name), `${name} is not in ${listName}`);
    checked?.add(name);
    await t.test(label, async () => {
      try {
        if (kind === 'errors') {
          await checkErrorSummary(page, label, fields);
          await checkA11y(page, label);
          await checkFocusVisible(page, label, { minStops: 1 });
        } else {
          await checkA11y(page, label);
          await checkFocusVisible(page, label);
          const left = await page.evaluate(() => document.activeElement === document.body || !document.activeElement);
          await checkSkipLink(page, label, { pressed: !left });
        }
        await page.setViewportSize(NARROW);
        await checkReflow(page, label);
        await page.evaluate(() => document.activeElement?.blur());
        await screenshot(page, name);
        await page.setViewportSize(ZOOM);
        await checkTextZoom(page, label);
      } finally {
        await page.setViewportSize(DESKTOP);
      }
      await screenshot(page, name);
    });
    if (!details) return;
    // As served, some <details> are open (the complement form) and others closed: each way, every one.
    const [open, closed] = await page.evaluate(() => {
      const all = [...document.querySelectorAll('main details')];
      return [all.filter((d) => d.open).length, all.filter((d) => !d.open).length];
    });
    for (const [state, wanted, suffix, how] of [
      [true, closed > 0, 'ouverts', 'open'],
      [false, closedVariant && open > 0, 'fermes', 'closed'],
    ]) {
      if (!wanted) continue;
      const variant = `${name}-details-${suffix}`;
      const variantLabel = `${label}, every <details> ${how}`;
      assert.ok(!pages || pages.includes(variant), `${variant} is not in ${listName}`);
      checked?.add(variant);
      await t.test(variantLabel, async () => {
        await page.evaluate((state) => {
          for (const d of document.querySelectorAll('main details')) d.open = state;
        }, state);
        try {
          await checkA11y(page, variantLabel);
          await page.evaluate(() => document.activeElement?.blur());
          await checkFocusVisible(page, variantLabel);
          await page.setViewportSize(NARROW);
          await checkReflow(page, variantLabel);
          await screenshot(page, variant);
          await page.setViewportSize(ZOOM);
          await checkTextZoom(page, variantLabel);
        } finally {
          await page.setViewportSize(DESKTOP);
        }
        await screenshot(page, variant);
      });
    }
  }
}
