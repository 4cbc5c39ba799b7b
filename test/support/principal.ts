/** For unit tests of the API: the principal a desktop sign-in gives a person (no IDP needed). */
import type { Principal } from '@msi/kit';

export const desktopPrincipal = (
  username: string,
  roles: Principal['roles'],
  organizations: string[],
  more: Partial<Principal> = {},
): Principal => ({
  sub: `sub-${username}`,
  username,
  ...more,
  roles,
  organizations,
  scopes: ['api'],
  clientId: 'msi-desktop',
  audience: 'http://api',
  expiresAt: 0,
  isService: false,
});
