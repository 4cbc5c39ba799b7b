/**
 * Debian's Chromium as Playwright launches it here (never `playwright install`): the path (or
 * CHROMIUM_PATH) and the flags that keep it off the network this machine does not have.
 */
export const chromiumLaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};
