/**
 * Basic mode's routing, measured: the labelled requests (fixtures/basic-mode-requests.json, as agents,
 * supervisors, customers and the admin phrase them) reach the right tool with the right arguments at least
 * 95% of the time, and every held-out question about the real manual goes to the documentation.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_USERS } from '@msi/kit/demo';
import { BASIC_MODE_TOOLS, loadSet, score, type Labelled } from './basic-mode-set.js';

const set = loadSet('basic-mode-requests.json');
const roleOf = (u: string) => DEMO_USERS.find((x) => x.username === u)!.role;

describe('basic-mode routing', () => {
  it('has at least 150 labelled requests, from every role, for every tool a person may use', () => {
    expect(set.length).toBeGreaterThanOrEqual(150);
    expect(new Set(set.map((x) => roleOf(x.user)))).toEqual(
      new Set(['customer', 'agent', 'supervisor', 'admin']),
    );
    expect(new Set(set.map((x) => x.tool).filter(Boolean))).toEqual(new Set(BASIC_MODE_TOOLS));
  });

  it('routes ≥ 95% of them to the right tool with the right arguments', () => {
    const r = score(set);
    const rate = r.right / r.total;
    if (rate < 0.95) console.log(JSON.stringify(r.wrong, null, 1));
    expect(rate).toBeGreaterThanOrEqual(0.95);
  });

  it('sends every held-out manual question to the documentation', () => {
    for (const file of ['corpus-questions.json', 'sample-questions.json']) {
      const questions = (loadSet(file) as unknown as { question: string }[]).map((q): Labelled => ({
        text: q.question,
        user: 'alex_agent',
        tool: 'search_documentation',
      }));
      for (const user of ['alex_agent', 'james_smith', 'admin']) {
        const r = score(questions.map((q) => ({ ...q, user })));
        expect(r.wrong.map((w) => w.item.text)).toEqual([]);
      }
    }
  });

  it('a wrong label is counted wrong (the score can fail)', () => {
    const wrong: Labelled = {
      text: 'close TCK-1001',
      user: 'alex_agent',
      tool: 'update_ticket',
      args: { number: 'TCK-1001', status: 'open' },
    };
    expect(score([wrong]).right).toBe(0);
  });
});
