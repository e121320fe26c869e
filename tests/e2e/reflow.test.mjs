// Reflow (WCAG 1.4.10): at 320 CSS px wide no page scrolls horizontally. Text resized to 200 % (1.4.4):
// at 640 px wide no horizontal scrolling, the main heading's text is not clipped, nothing in the page
// clips its content.

import { after, before, describe, test } from 'node:test';
import { NARROW, ZOOM, checkReflow, checkTextZoom, launchBrowser } from './lib.mjs';
import { PAGES, openPage } from './pages.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

async function withPage(entry, viewport, fn) {
  const { context, page } = await openPage(browser, entry, { viewport });
  try {
    await fn(page);
  } finally {
    await context.close();
  }
}

describe('reflow at 320 CSS px: no horizontal scrolling', () => {
  for (const entry of PAGES) {
    test(entry.label, () => withPage(entry, NARROW, (page) => checkReflow(page, entry.label)));
  }
});

describe('text at 200 %: no horizontal scrolling at 640 px, nothing clipped', () => {
  for (const entry of PAGES) {
    test(entry.label, () => withPage(entry, ZOOM, (page) => checkTextZoom(page, entry.label)));
  }
});
