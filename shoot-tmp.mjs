import { chromium } from '@playwright/test';
const BASE = process.env.BASE;
const out = '/tmp/home-shots';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
async function session(user, size, scheme) {
  const ctx = await browser.newContext({ viewport: size, colorScheme: scheme });
  const page = await ctx.newPage();
  await page.goto(BASE + '/sign-in');
  const start = page.getByRole('button', { name: 'Sign in', exact: true });
  await start.click();
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('chat').waitFor();
  return { ctx, page };
}
const sizes = { s: { width: 1280, height: 800 }, l: { width: 1920, height: 1080 } };
const which = process.argv[2] ?? 'all';
for (const scheme of ['light', 'dark']) {
  for (const [sz, size] of Object.entries(sizes)) {
    const tag = `${sz}-${scheme}`;
    if (which === 'all' || which === 'home') {
      for (const user of ['james_smith', 'alex_agent', 'sam_supervisor']) {
        const { ctx, page } = await session(user, size, scheme);
        await page.getByTestId('home').locator('.suggestions, [role=alert]').first().waitFor({ timeout: 15000 }).catch(() => {});
        await page.waitForTimeout(300);
        await page.screenshot({ path: `${out}/home-${user}-${tag}.png` });
        await ctx.close();
      }
    }
    if (which === 'all' || which === 'docs') {
      const { ctx, page } = await session('alex_agent', size, scheme);
      await page.getByRole('textbox', { name: 'Message' }).fill('How long can we roll back a firmware update?');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.getByTestId('citation').first().waitFor();
      await page.getByTestId('chat').locator('[data-state=idle]').waitFor().catch(() => {});
      await page.waitForTimeout(500);
      await page.getByTestId('citation').first().click();
      await page.locator('mark.cited').first().waitFor({ timeout: 5000 }).catch(() => {});
      await page.locator('a.cite-ref').first().hover();
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${out}/docs-${tag}.png` });
      await page.getByTestId('open-document').click();
      await page.waitForTimeout(600);
      await page.screenshot({ path: `${out}/docs-open-${tag}.png` });
      // Conversation search inside messages
      await page.keyboard.press('Control+k');
      await page.keyboard.type('rollback');
      await page.waitForTimeout(700);
      await page.screenshot({ path: `${out}/search-${tag}.png` });
      await ctx.close();
    }
    if (which === 'all' || which === 'status') {
      for (const user of ['james_smith', 'admin']) {
        const { ctx, page } = await session(user, size, scheme);
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Status' }).click();
        await page.getByTestId('status-sentence').waitFor();
        await page.waitForTimeout(300);
        await page.screenshot({ path: `${out}/status-${user}-${tag}.png` });
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
        await page.waitForTimeout(800);
        await page.screenshot({ path: `${out}/settings-${user}-${tag}.png` });
        await ctx.close();
      }
    }
  }
}
if (which === 'all' || which === 'narrow') {
  const { ctx, page } = await session('alex_agent', { width: 800, height: 600 }, 'light');
  await page.waitForTimeout(800);
  await page.screenshot({ path: `${out}/narrow-closed.png` });
  await page.getByTestId('sidebar-toggle').click();
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${out}/narrow-open.png` });
  await ctx.close();
}
await browser.close();
