// Full-page screenshots of the main pages, at desktop (1280 px) and narrow (320 px) widths, written under
// target/e2e/ for review: `<name>-1280.png` and `<name>-320.png`.

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { DESKTOP, NARROW, launchBrowser, screenshot } from './lib.mjs';
import { PAGES, openPage } from './pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

describe('screenshots', () => {
  for (const entry of PAGES.filter((p) => p.screenshot)) {
    test(`${entry.label} at ${DESKTOP.width} and ${NARROW.width} px`, async () => {
      for (const viewport of [DESKTOP, NARROW]) {
        const { context, page } = await openPage(browser, entry, { viewport });
        try {
          const file = await screenshot(page, entry.name);
          assert.ok(statSync(file).size > 1000, `${file} is suspiciously small`);
        } finally {
          await context.close();
        }
      }
    });
  }
});
