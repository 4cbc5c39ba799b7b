/**
 * Signing in through the real pages: the renderer's sign-in page hands over to the IDP's login form
 * (labels "Username", "Password", button "Sign in"), which redirects back with a code the renderer
 * exchanges (PKCE). Nothing is bypassed.
 */
import { expect, type Page, type Response } from '@playwright/test';
import { DEMO_PASSWORD, DEMO_USERS } from '../../services/kit/src/demo.js';

export function demoUser(username: string) {
  const user = DEMO_USERS.find((u) => u.username === username);
  if (!user) throw new Error(`${username} is not a demo user`);
  return user;
}

/** The page must show the renderer (any route). Ends on the chat view, signed in as `username`. */
export async function signIn(page: Page, username: string, password = DEMO_PASSWORD): Promise<void> {
  const user = demoUser(username);
  const chat = page.getByTestId('chat');
  const idpForm = page.getByLabel('Username');
  const startButton = page.getByRole('button', { name: 'Sign in', exact: true });
  if (!(await idpForm.isVisible())) {
    // The renderer's own sign-in page (a signed-out visit to any guarded route leads there).
    if (!/\/(sign-in|auth\/signed-out)/.test(page.url())) await page.goto('/sign-in');
    await expect(startButton.or(idpForm).first()).toBeVisible();
    if (await startButton.isVisible()) await startButton.click();
  }
  await expect(idpForm).toBeVisible();
  await idpForm.fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(chat).toBeVisible();
  await expect(chat).toHaveAttribute('data-state', 'idle');
  await expect(page.getByTestId('current-user')).toContainText(user.name);
}

/** After a reload or a restart: waits until the app settles on the chat view or on a sign-in page, and
 *  signs in when it is not already signed in as `username`. */
export async function ensureSignedIn(page: Page, username: string): Promise<void> {
  const user = demoUser(username);
  const chat = page.getByTestId('chat');
  const idpForm = page.getByLabel('Username');
  const startButton = page.getByRole('button', { name: 'Sign in', exact: true });
  await expect(chat.or(idpForm).or(startButton).first()).toBeVisible();
  if ((await chat.isVisible()) && (await page.getByTestId('current-user').innerText()).includes(user.name))
    return;
  await signIn(page, username);
}

export interface TokenCapture {
  /** The newest refresh token the IDP handed to the page (it rotates). */
  latestRefreshToken(): string | undefined;
  /** Token endpoint URL seen. */
  tokenEndpoint(): string | undefined;
}

/** Records the refresh tokens in the IDP's token responses to this page (authorization code and refresh). */
export function captureTokens(page: Page): TokenCapture {
  let refreshToken: string | undefined;
  let endpoint: string | undefined;
  page.on('response', (res: Response) => {
    const req = res.request();
    if (req.method() !== 'POST' || !/\/token$/.test(new URL(res.url()).pathname)) return;
    const body = req.postData() ?? '';
    if (!/grant_type=(authorization_code|refresh_token)/.test(body)) return;
    res
      .json()
      .then((json: { refresh_token?: unknown }) => {
        if (typeof json.refresh_token === 'string') {
          refreshToken = json.refresh_token;
          endpoint = res.url();
        }
      })
      .catch(() => undefined);
  });
  return { latestRefreshToken: () => refreshToken, tokenEndpoint: () => endpoint };
}
