// Ad-hoc screenshots (not a test): node .shot.mjs BASE EMAIL|- PW|- OUTPREFIX WIDTHS paths...
import { chromium } from 'playwright-core';
const [base, email, pw, out, widths, ...paths] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
for (const w of widths.split(',').map(Number)) {
  const ctx = await b.newContext({ viewport: { width: w, height: 900 } });
  const p = await ctx.newPage();
  if (email !== '-') {
    await p.goto(base + '/connexion');
    await p.fill('#email', email); await p.fill('#mot_de_passe', pw);
    await Promise.all([p.waitForNavigation(), p.click('main button[type=submit]')]);
  }
  let i = 0;
  for (const path of paths) {
    await p.goto(base + path);
    const f = `${out}-${i++}-${w}.png`;
    await p.screenshot({ path: f, fullPage: false });
    console.log(f, p.url());
    if (w === Number(widths.split(',')[0])) console.log((await p.innerText('main')).slice(0, 1800));
  }
  await ctx.close();
}
await b.close();
