/** Journey 9: signing out returns to the sign-in page, revokes the refresh token, and Back shows no conversation. */
import { test, expect } from './fixtures.js';
import { IdpError, refresh } from '../test/support/idp.js';
import { captureTokens, signIn } from './support/auth.js';
import { ask, chatView } from './support/chat.js';

test('sign out revokes the refresh token and Back does not bring the conversation back', async ({
  app,
  stack,
}) => {
  const tokens = captureTokens(app);
  await signIn(app, 'linda_baker');
  await ask(app, 'Show my open tickets');
  await expect(app).toHaveURL(/\/c\/[^/]+$/);
  const refreshToken = tokens.latestRefreshToken();
  expect(refreshToken, 'the refresh token the IDP gave the app').toBeTruthy();

  await app.getByRole('button', { name: 'Sign out' }).click();
  // The sign-in page (`/sign-in`, or `/auth/signed-out` where the IDP's end-session returns).
  await expect(app).toHaveURL(/\/(sign-in|auth\/signed-out)([?#]|$)/);
  await expect(app.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(chatView(app)).toHaveCount(0);

  // The refresh token is revoked: the IDP refuses it.
  const refused = await refresh(stack.url('idp'), refreshToken!).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(refused, 'a refresh with the signed-out token must fail').toBeInstanceOf(IdpError);
  expect((refused as IdpError).error).toBe('invalid_grant');

  // Back does not bring the conversation view back.
  await app.goBack();
  await expect(
    app.getByRole('button', { name: 'Sign in', exact: true }).or(app.getByLabel('Username')).first(),
  ).toBeVisible();
  await expect(chatView(app)).toHaveCount(0);
  await expect(app.getByRole('log', { name: 'Messages' })).toHaveCount(0);
});
