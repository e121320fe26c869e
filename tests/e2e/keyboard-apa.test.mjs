// Filing an APA request with the keyboard only, from the home page to the confirmation: Tab, Shift+Tab,
// Space, Enter and the arrow keys; text is typed into the focused field (keyboard.type). No click(),
// fill(), check() or focus() on an element. Files are chosen in the file chooser that Space opens on a
// focused file input (Playwright's `filechooser` event stands for the person picking the file).
//
// Along the way: every Tab stop shows a visible focus indicator, the skip link brings each step's
// content (Tab, Enter), and after a failed "Continuer" the focus is on the error summary and each of its
// links moves the focus to its field.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ACCOUNTS,
  assertFocusVisible,
  focusedDescription,
  launchBrowser,
  newContext,
  rememberUnfocusedLook,
  tabTo,
  url,
} from './lib.mjs';
import { APA_ANSWERS, CONTINUE, errorMessages, plan, stepControls } from './demarches.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

const path = (page) => new URL(page.url()).pathname;

/** Presses `key` on the focused element and waits for the page it leads to; returns its response. */
async function pressAndWait(page, key) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press(key)]);
  await rememberUnfocusedLook(page);
  return res;
}

/** Tab (or Shift+Tab) to `selector`, checking the focus is visible on every stop on the way. */
async function tabVisiblyTo(page, selector, { back = false, max = 80 } = {}) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    await assertFocusVisible(page, page.url());
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    seen.push(await focusedDescription(page));
  }
  assert.fail(`${selector} not reached with ${max} × ${back ? 'Shift+Tab' : 'Tab'} on ${page.url()}; focus went: ${seen.join(' → ')}`);
}

/** The skip link: first Tab stop, Enter, focus on <main>. */
async function useSkipLink(page) {
  await page.keyboard.press('Tab');
  await assertFocusVisible(page, page.url());
  assert.equal(await page.evaluate(() => document.activeElement.className), 'lien-evitement', `first Tab stop of ${page.url()} is ${await focusedDescription(page)}`);
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'MAIN', `the skip link of ${page.url()} did not move the focus to <main>`);
}

/** The focused element, for the robot. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    return {
      id: el.id,
      name: el.getAttribute('name') || '',
      type: el.type || '',
      tag: el.tagName.toLowerCase(),
      value: el.value ?? '',
      checked: Boolean(el.checked),
      inForm: Boolean(el.closest('main form')),
      isContinue: el.matches('main form button[name=action][value=continuer]'),
    };
  });
}

/**
 * Answers the step from the focus on <main>: Tab from control to control down to "Continuer", typing
 * text, choosing radios with the arrow keys, ticking checkboxes with Space and choosing files with Space.
 * Ends with the focus on "Continuer".
 */
async function answerWithKeyboard(page, answers) {
  let byId = new Map();
  let radioTarget = new Map();
  // The plan is made from the controls shown; a follow-up revealed by an answer (guichet.js) is planned
  // when the focus first reaches it.
  const replan = async () => {
    const actions = plan(await stepControls(page), answers);
    byId = new Map(actions.map((a) => [a.control.id, a]));
    radioTarget = new Map(actions.filter((a) => a.control.type === 'radio').map((a) => [a.control.name, a.control.value]));
  };
  await replan();
  const done = new Set();
  for (let i = 0; i < 200; i++) {
    // An answer may reveal a follow-up (guichet.js asks the server, the form is aria-busy meanwhile):
    // Tab only once the page shows what follows.
    await page.waitForFunction(() => !document.querySelector('main form[aria-busy="true"]'));
    await page.keyboard.press('Tab');
    await assertFocusVisible(page, page.url());
    const el = await focused(page);
    if (el.isContinue) return;
    if (!el.inForm || done.has(el.name || el.id)) continue;
    if (!byId.has(el.id) && !radioTarget.has(el.name)) await replan();
    if (el.type === 'radio') {
      done.add(el.name);
      const target = radioTarget.get(el.name);
      if (el.value === target) {
        if (!el.checked) await page.keyboard.press('Space');
      } else {
        // Arrows move the focus and the choice through the group.
        for (let n = 0; n < 20 && (await focused(page)).value !== target; n++) await page.keyboard.press('ArrowDown');
      }
      const now = await focused(page);
      assert.ok(now.value === target && now.checked, `could not choose ${target} in ${el.name} with the arrow keys (on ${now.value})`);
    } else if (el.type === 'checkbox') {
      if (byId.has(el.id) && !el.checked) await page.keyboard.press('Space');
    } else if (el.type === 'file') {
      const a = byId.get(el.id);
      if (!a) continue;
      // On a loaded machine Chromium can drop the first key press on a file input: try Space again.
      let chooser = null;
      for (let attempt = 0; attempt < 3 && !chooser; attempt++) {
        const wait = page.waitForEvent('filechooser', { timeout: 10000 }).catch(() => null);
        await page.keyboard.press('Space');
        chooser = await wait;
      }
      assert.ok(chooser, `no file chooser opened with Space on ${el.id}`);
      await chooser.setFiles(el.multiple ? a.files : a.files.slice(0, 1));
    } else if (['text', 'email', 'tel', 'textarea', 'number', 'search', 'url'].includes(el.type) || el.tag === 'textarea') {
      const a = byId.get(el.id);
      if (a && a.action === 'type' && el.value === '') await page.keyboard.type(a.text);
    }
  }
  assert.fail(`"Continuer" not reached on ${page.url()}`);
}

/** After a failed "Continuer": the focus is on the error summary, each of its links moves it to its field. */
async function followErrorSummary(page) {
  assert.match(await page.title(), /^Erreur : /);
  await page.waitForFunction(() => document.activeElement?.id === 'resume-erreurs', null, { timeout: 2000 }).catch(() => {});
  assert.equal(await page.evaluate(() => document.activeElement.id), 'resume-erreurs', `after a failed "Continuer" the focus is on ${await focusedDescription(page)}`);
  const hrefs = await page.locator('.resume-erreurs a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.length > 0, 'the error summary has no link');
  for (const [i, href] of hrefs.entries()) {
    // From the summary (first link) or from the previous field (back up to the next link).
    await tabVisiblyTo(page, `.resume-erreurs li:nth-child(${i + 1}) a`, { back: i > 0 });
    await page.keyboard.press('Enter');
    const id = decodeURIComponent(href.slice(1));
    await page.waitForFunction((id) => document.activeElement?.id === id, id, { timeout: 2000 }).catch(() => {});
    assert.equal(await page.evaluate(() => document.activeElement.id), id, `the error summary's link ${href} left the focus on ${await focusedDescription(page)}`);
  }
  return hrefs;
}

test('file an APA request from the home page to the confirmation with the keyboard only', async (t) => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(url('/'));
    await rememberUnfocusedLook(page);

    // Home → the APA start page.
    const linked = await page.locator('main a[href="/demarches/apa"]').count();
    if (linked) {
      await tabVisiblyTo(page, 'main a[href="/demarches/apa"]');
      await pressAndWait(page, 'Enter');
    } else {
      t.diagnostic('the home page has no link to /demarches/apa yet: the address was typed instead');
      await page.goto(url('/demarches/apa'));
      await rememberUnfocusedLook(page);
    }
    assert.equal(path(page), '/demarches/apa');

    // Log in from the start page, and come back to it.
    await tabVisiblyTo(page, 'main a[href^="/connexion"]');
    await pressAndWait(page, 'Enter');
    await tabVisiblyTo(page, '#email');
    await page.keyboard.type(ACCOUNTS.usager.email);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'mot_de_passe');
    await page.keyboard.type(ACCOUNTS.usager.password);
    await pressAndWait(page, 'Enter');
    assert.equal(path(page), '/demarches/apa', 'after logging in from the start page, the person is not back on it');

    // Start.
    await tabVisiblyTo(page, 'main form button[type=submit]');
    let res = await pressAndWait(page, 'Enter');
    assert.match(path(page), /\/etapes\//);

    let sawErrors = false;
    for (let guard = 0; guard < 40 && /\/etapes\//.test(path(page)); guard++) {
      const step = path(page).split('/').pop();
      await useSkipLink(page);
      if (!sawErrors && step === 'identite') {
        // A failed "Continuer": the focus goes to the error summary, its links to the fields.
        await tabVisiblyTo(page, CONTINUE);
        res = await pressAndWait(page, 'Enter');
        assert.equal(res.status(), 422);
        const links = await followErrorSummary(page);
        t.diagnostic(`identite: the error summary's ${links.length} links each moved the focus to their field`);
        sawErrors = true;
        // Back to the top of the content (Shift+Tab up to the "Retour" link), then answer.
        await tabVisiblyTo(page, 'main a.lien-retour', { back: true, max: 120 });
      }
      await answerWithKeyboard(page, APA_ANSWERS);
      const before = path(page);
      res = await pressAndWait(page, 'Enter');
      assert.ok(res.status() < 400 && path(page) !== before, `${step}: "Continuer" answered ${res.status()}: ${(await errorMessages(page)).join(' | ')}`);
    }
    assert.ok(sawErrors, 'the identity step was not met');
    assert.match(path(page), /\/verifier$/);

    // Check your answers → send.
    await tabVisiblyTo(page, 'main form[action$="/deposer"] button[type=submit]', { max: 200 });
    res = await pressAndWait(page, 'Enter');
    assert.equal(res.status(), 200);
    assert.match(path(page), /\/confirmation$/);
    const number = (await page.locator('main strong').first().innerText()).trim();
    assert.match(number, /^APA-\d{4}-\d{6}$/);
    t.diagnostic(`filed with the keyboard only: ${number}`);
  } finally {
    await context.close();
  }
});
