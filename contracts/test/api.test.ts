import { describe, expect, it } from 'vitest';
import { API_ROUTES, apiPath } from '../src/api.js';

describe('apiPath', () => {
  it('fills the route parameters, encoded', () => {
    expect(apiPath(API_ROUTES.me)).toBe('/api/me');
    expect(apiPath(API_ROUTES.conversation, { id: 'a/b c' })).toBe('/api/conversations/a%2Fb%20c');
    expect(apiPath(API_ROUTES.messages, { id: 'c1' })).toBe('/api/conversations/c1/messages');
    expect(apiPath(API_ROUTES.chunk, { chunkId: 'd1:3' })).toBe('/api/knowledge/chunks/d1%3A3');
  });

  it('says which parameter is missing', () => {
    const untyped = apiPath as (route: string, params?: Record<string, string>) => string;
    expect(() => untyped(API_ROUTES.approval, {})).toThrow('apiPath: /api/approvals/:id needs id');
  });
});
