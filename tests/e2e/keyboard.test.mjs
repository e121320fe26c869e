// Keyboard use: the skip link, a visible focus on every Tab stop of every page, the focus on the error
// summary after a failed submit and its links to the fields, and logging in and out with the keyboard only.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ACCOUNTS,
  checkErrorSummary,
  checkFocusVisible,
  checkSkipLink,
  focusedDescription,
  launchBrowser,
  newContext,
  tabTo,
  url,
} from './lib.mjs';
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
    test(entry.label, () => withPage(entry, (page) => checkSkipLink(page, entry.label)));
  }
});

describe('focus is visible on every Tab stop', () => {
  for (const entry of PAGES) {
    test(entry.label, () => withPage(entry, (page) => checkFocusVisible(page, entry.label)));
  }
});

describe('error summary: present and focused after an empty submit, each link moves focus to its field', () => {
  for (const entry of ERROR_PAGES) {
    test(entry.label, () => withPage(entry, (page) => checkErrorSummary(page, entry.label, entry.fields)));
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
    // Staff land on « Instruction ».
    await Promise.all([page.waitForURL(url('/instruction')), page.keyboard.press('Enter')]);
    await tabTo(page, 'button[type=submit]');
    assert.match(await focusedDescription(page), /Se déconnecter/);
    await Promise.all([page.waitForURL(url('/')), page.keyboard.press('Space')]);
    assert.equal(await page.locator('header a[href="/connexion"]').count(), 1, 'still logged in after logging out');
  } finally {
    await context.close();
  }
});
