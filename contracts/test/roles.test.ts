import { describe, expect, it } from 'vitest';
import { ABILITIES, CAN_NOTHING, canOf, may } from '../src/roles.js';

describe('what each role may do', () => {
  it('follows the roles table: customers read, agents work, supervisors assign, admins change permissions', () => {
    const granted = (roles: string[]) => ABILITIES.filter((a) => may(roles, a));
    expect(granted(['customer'])).toEqual([]);
    expect(granted(['agent'])).toEqual(['changeKnowledge', 'workTickets', 'configureEndpoints']);
    expect(granted(['supervisor'])).toEqual([
      'changeKnowledge',
      'removeBuiltInDocs',
      'seeAllOrganizations',
      'workTickets',
      'assignTickets',
      'configureEndpoints',
    ]);
    expect(granted(['admin'])).toEqual(ABILITIES);
  });

  it('any one role is enough; no role, or an unknown one, gives nothing', () => {
    expect(canOf(['customer', 'agent']).changeKnowledge).toBe(true);
    expect(canOf([])).toEqual(CAN_NOTHING);
    expect(canOf(['root'])).toEqual(CAN_NOTHING);
    expect(Object.values(CAN_NOTHING).every((v) => v === false)).toBe(true);
  });
});
