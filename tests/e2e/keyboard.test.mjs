// Keyboard use: the skip link, a visible focus on every Tab stop of every page, the focus on the error
// summary after a failed submit and its links to the fields, and logging in and out with the keyboard only.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACCOUNTS, focusedDescription, launchBrowser, newContext, tabTo, url } from './lib.mjs';
import { ERROR_PAGES, PAGES, openPage } from './pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

async function withPage(entry, fn) {
  const { context, page } = await openPage(browser, entry);
  try {
    await fn(page);
  } finally {
    await context.close();
  }
}

// Error states are left out: there the focus starts on the error summary (tested below), and their skip
// link is the same as in the page's first state.
describe('skip link: first Tab stop, visible when focused, moves focus to main', () => {
  for (const entry of PAGES.filter((p) => !p.submit)) {
    test(entry.label, () =>
      withPage(entry, async (page) => {
        await page.keyboard.press('Tab');
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
        assert.equal(link.tag, 'A', `first Tab stop is ${await focusedDescription(page)}, not the skip link`);
        assert.match(link.href, /^#./, `first Tab stop ${link.text} is not an in-page link`);
        const { rect, vw, vh } = link;
        assert.ok(
          link.visible && rect.width > 0 && rect.height > 0 && rect.left >= 0 && rect.top >= 0 && rect.right <= vw && rect.bottom <= vh,
          `skip link "${link.text}" is not visible when focused: ${JSON.stringify(link)}`,
        );
        await page.keyboard.press('Enter');
        const target = link.href.slice(1);
        const focused = await page.evaluate(() => ({ id: document.activeElement.id, tag: document.activeElement.tagName }));
        assert.equal(focused.id, target, `after the skip link, focus is on ${await focusedDescription(page)}`);
        assert.equal(focused.tag, 'MAIN', `the skip link's target #${target} is not <main>`);
        // The next Tab stop is inside the main content, not back in the header.
        await page.keyboard.press('Tab');
        const inMain = await page.evaluate(() => {
          const main = document.querySelector('main');
          const el = document.activeElement;
          return main.contains(el) || Boolean(main.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
        });
        assert.ok(inMain, `after the skip link, Tab goes to ${await focusedDescription(page)}, before <main>`);
      }),
    );
  }
});

describe('focus is visible on every Tab stop', () => {
  for (const entry of PAGES) {
    test(entry.label, () =>
      withPage(entry, async (page) => {
        // Remember each element's unfocused look, to tell a focus box-shadow from a permanent one.
        await page.evaluate(() => {
          window.__e2eUnfocused = new Map();
          for (const el of document.querySelectorAll('a, button, input, select, textarea, summary, [tabindex]')) {
            window.__e2eUnfocused.set(el, getComputedStyle(el).boxShadow);
          }
        });
        const stops = [];
        for (let i = 0; i < 80; i++) {
          await page.keyboard.press('Tab');
          const stop = await page.evaluate(() => {
            const el = document.activeElement;
            if (!el || el === document.body) return null;
            if (el.dataset.e2eSeen) return { seen: true };
            el.dataset.e2eSeen = '1';
            const s = getComputedStyle(el);
            const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && s.outlineColor !== 'rgba(0, 0, 0, 0)';
            const shadow = s.boxShadow !== 'none' && s.boxShadow !== window.__e2eUnfocused.get(el);
            return { outline, shadow, style: `outline: ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}; box-shadow: ${s.boxShadow}` };
          });
          if (!stop || stop.seen) break;
          const what = await focusedDescription(page);
          stops.push(what);
          assert.ok(stop.outline || stop.shadow, `no visible focus indicator on ${what} (${stop.style}) on ${entry.label}`);
        }
        assert.ok(stops.length >= 3, `only ${stops.length} Tab stops on ${entry.label}: ${stops.join(' → ')}`);
      }),
    );
  }
});

describe('error summary: present and focused after an empty submit, each link moves focus to its field', () => {
  for (const entry of ERROR_PAGES) {
    test(entry.label, () =>
      withPage(entry, async (page) => {
        assert.match(await page.title(), /^Erreur : /, 'the page title does not start with "Erreur :"');
        const summary = page.locator('.resume-erreurs');
        assert.equal(await summary.count(), 1, 'no error summary');
        assert.equal(await summary.getAttribute('role'), 'alert');
        // The summary has `autofocus`, which the browser applies at its next rendering update.
        await page.waitForFunction(() => document.activeElement?.id === 'resume-erreurs', null, { timeout: 2000 }).catch(() => {});
        assert.equal(
          await page.evaluate(() => document.activeElement.id),
          'resume-erreurs',
          `after the failed submit, focus is on ${await focusedDescription(page)}, not on the error summary`,
        );
        // From the summary, the next Tab stop is its first link.
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), `#${entry.fields[0]}`);
        const hrefs = await summary.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        assert.deepEqual(hrefs, entry.fields.map((f) => `#${f}`), 'the error summary does not link to the expected fields');
        for (const field of entry.fields) {
          const input = page.locator(`#${field}`);
          assert.equal(await input.getAttribute('aria-invalid'), 'true', `#${field} is not aria-invalid`);
          const describedBy = (await input.getAttribute('aria-describedby')) || '';
          assert.ok(describedBy.split(/\s+/).includes(`${field}-erreur`), `#${field} is not described by its error message`);
        }
        for (const [i, field] of entry.fields.entries()) {
          await summary.locator('a').nth(i).focus();
          await page.keyboard.press('Enter');
          await page.waitForFunction((id) => document.activeElement?.id === id, field, { timeout: 2000 }).catch(() => {});
          const active = await page.evaluate(() => document.activeElement.id);
          assert.equal(active, field, `the error summary's link #${field} left focus on ${await focusedDescription(page)}`);
        }
      }),
    );
  }
});

// Logging out revokes every session of the account: this test uses `admin`, which no other test logs in as.
test('login and logout with the keyboard only', async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(url('/'));
    await tabTo(page, 'a[href="/connexion"]');
    await Promise.all([page.waitForURL(url('/connexion')), page.keyboard.press('Enter')]);
    await tabTo(page, '#email');
    await page.keyboard.type(ACCOUNTS.admin.email);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'mot_de_passe', 'Tab from the email field does not reach the password');
    await page.keyboard.type(ACCOUNTS.admin.password);
    await Promise.all([page.waitForURL(url('/compte')), page.keyboard.press('Enter')]);
    assert.match(await page.locator('h1').innerText(), /Mon compte/);
    await tabTo(page, 'button[type=submit]');
    assert.match(await focusedDescription(page), /Se déconnecter/);
    await Promise.all([page.waitForURL(url('/')), page.keyboard.press('Space')]);
    assert.equal(await page.locator('header a[href="/connexion"]').count(), 1, 'still logged in after logging out');
  } finally {
    await context.close();
  }
});
