/**
 * How a person is read from another provider's token (identity.ts + principalFromClaims): the claims
 * Keycloak, Okta and Auth0 put roles, organizations and scopes in, as a deployment configures them.
 */
import { describe, expect, it } from 'vitest';
import {
  acceptedAlgorithms,
  claimAt,
  claimMapping,
  ConfigError,
  identitySpec,
  parseConfig,
  principalFromClaims,
} from '../src/index.js';

const mapping = (env: Record<string, string>) => claimMapping(parseConfig(identitySpec(), env));

describe('claims of other providers', () => {
  it('Keycloak: realm roles at realm_access.roles mapped onto ours, organizations from groups with a prefix', () => {
    const keycloak = mapping({
      IDP_ROLES_CLAIM: 'realm_access.roles',
      IDP_ROLE_MAP: 'msi-agent=agent, msi-admin=admin',
      IDP_ORGANIZATIONS_CLAIM: 'groups',
      IDP_ORGANIZATIONS_PREFIX: '/organizations/',
    });
    const p = principalFromClaims(
      {
        sub: '5e1c…',
        azp: 'msi-desktop',
        preferred_username: 'alex_agent',
        scope: 'openid api',
        realm_access: { roles: ['msi-agent', 'offline_access', 'default-roles-msi', 'admin-ish'] },
        groups: ['/organizations/dallas-police', '/organizations/', '/staff', 'dallas-police'],
        exp: 1,
      },
      'https://api.example.com',
      keycloak,
    );
    expect(p).toMatchObject({
      username: 'alex_agent',
      roles: ['agent'],
      organizations: ['dallas-police'],
      scopes: ['openid', 'api'],
      clientId: 'msi-desktop',
      isService: false,
    });
  });

  it('Okta: scopes in the scp array; Auth0: namespaced claims whose names hold dots', () => {
    const okta = mapping({ IDP_SCOPE_CLAIM: 'scp', IDP_ORGANIZATIONS_CLAIM: 'orgs' });
    expect(
      principalFromClaims(
        { sub: 'u', scp: ['tickets:read', 'tickets:write'], roles: ['agent'], orgs: ['la-city'] },
        'api://msi',
        okta,
      ),
    ).toMatchObject({
      scopes: ['tickets:read', 'tickets:write'],
      roles: ['agent'],
      organizations: ['la-city'],
    });

    const auth0 = mapping({
      IDP_ROLES_CLAIM: 'https://msi.example.com/roles',
      IDP_ORGANIZATIONS_CLAIM: 'https://msi.example.com/orgs',
      IDP_USERNAME_CLAIM: 'nickname',
    });
    expect(
      principalFromClaims(
        {
          sub: 'auth0|1',
          nickname: 'sam_supervisor',
          'https://msi.example.com/roles': ['supervisor'],
          'https://msi.example.com/orgs': [],
        },
        'api://msi',
        auth0,
      ),
    ).toMatchObject({ username: 'sam_supervisor', roles: ['supervisor'], organizations: [] });
  });

  it('a missing or malformed claim gives no rights, never an error', () => {
    const keycloak = mapping({ IDP_ROLES_CLAIM: 'realm_access.roles' });
    const cases: [unknown, string[]][] = [
      [undefined, []],
      [null, []],
      ['agent', []],
      [{ roles: [1, {}, null] }, []],
      [{ roles: 'agent' }, ['agent']], // a space-separated string is a list, as `scope` is
    ];
    for (const [realm, roles] of cases)
      expect(principalFromClaims({ sub: 'u', realm_access: realm }, 'a', keycloak).roles).toEqual(roles);
    expect(claimAt({ a: { b: { c: 1 } } }, 'a.b.c')).toBe(1);
    expect(claimAt({ a: { b: 1 } }, 'a.b.c')).toBeUndefined();
    expect(claimAt({ a: {} }, 'a.constructor')).toBeUndefined();
  });

  it('a bad role map or algorithm list is a ConfigError naming the variable', () => {
    expect(() => mapping({ IDP_ROLE_MAP: 'msi-agent' })).toThrow(ConfigError);
    expect(() => mapping({ IDP_ROLE_MAP: 'x=root' })).toThrow(/IDP_ROLE_MAP must be external=role pairs/);
    const algs = (v: string) => acceptedAlgorithms(parseConfig(identitySpec(), { IDP_ALGORITHMS: v }));
    expect(algs('PS256,ES256')).toEqual(['PS256', 'ES256']);
    expect(() => algs('RS256,HS256')).toThrow(/IDP_ALGORITHMS must be asymmetric JWS algorithms/);
    expect(() => algs('none')).toThrow(ConfigError);
    expect(acceptedAlgorithms(parseConfig(identitySpec(), {}))).toEqual(['RS256', 'PS256', 'ES256']);
  });
});
