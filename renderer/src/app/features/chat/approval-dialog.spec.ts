import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { ApprovalDialog } from './approval-dialog';
import { argsOf, fieldsOf, valuesOf } from './approval-form';
import { ChatStore, type PendingApproval } from './chat.store';

const createSchema = {
  type: 'object',
  properties: {
    org: { type: 'string', description: 'Organization slug or display name' },
    title: { type: 'string', maxLength: 200 },
    description: { type: 'string', maxLength: 10000 },
    priority: { type: 'string', enum: ['low', 'normal', 'high', 'urgent'] },
  },
  required: ['title', 'description'],
  additionalProperties: false,
};
const create: PendingApproval = {
  approvalId: 'a1',
  callId: 'c1',
  tool: 'create_ticket',
  args: { org: 'dallas-police', title: 'Dock dead', description: 'Bay 3.', priority: 'low' },
  summary: 'Create a ticket — org: dallas-police; title: Dock dead',
  schema: createSchema,
  policy: { alwaysAsk: false, locked: [] },
};
const comment: PendingApproval = {
  approvalId: 'a2',
  callId: 'c2',
  tool: 'add_comment',
  args: { number: 'TCK-1042', body: 'Checked the dock.', internal: true },
  summary: 'Add a comment — number: TCK-1042',
  schema: {
    type: 'object',
    properties: {
      number: { type: 'string' },
      body: { type: 'string' },
      internal: { type: 'boolean', default: false },
    },
    required: ['number', 'body'],
  },
  policy: {
    alwaysAsk: false,
    locked: ['number'],
    remember: { rule: 'conversation:add_comment', label: 'Comments in this conversation' },
  },
};

describe('ApprovalDialog (approvals as a form)', () => {
  let store: {
    approval: ReturnType<typeof signal<PendingApproval | null>>;
    approvalError: ReturnType<typeof signal<string | null>>;
    decide: ReturnType<typeof vi.fn>;
  };

  beforeEach(() => {
    store = {
      approval: signal<PendingApproval | null>(null),
      approvalError: signal<string | null>(null),
      decide: vi.fn(async () => true),
    };
    TestBed.configureTestingModule({ providers: [{ provide: ChatStore, useValue: store }] });
  });

  async function open(approval: PendingApproval) {
    const fixture = TestBed.createComponent(ApprovalDialog);
    fixture.detectChanges();
    store.approval.set(approval);
    await fixture.whenStable();
    fixture.detectChanges();
    const root = fixture.nativeElement as HTMLElement;
    const field = <T extends HTMLElement>(name: string) =>
      root.querySelector<T>(
        `[data-field="${name}"] input, [data-field="${name}"] textarea, [data-field="${name}"] select`,
      )!;
    const button = (name: RegExp) =>
      [...root.querySelectorAll<HTMLButtonElement>('.dialog-actions button')].find((b) =>
        name.test(b.textContent ?? ''),
      )!;
    return { fixture, root, field, button };
  }

  it('shows the proposal as fields pre-filled by the assistant, Deny first and focused', async () => {
    const { field, button, root } = await open(create);
    expect(field<HTMLInputElement>('title').value).toBe('Dock dead');
    expect(field<HTMLTextAreaElement>('description').tagName).toBe('TEXTAREA');
    expect(field<HTMLSelectElement>('priority').value).toBe('low');
    expect(root.querySelector('[data-field="org"] label')?.textContent).toContain('Organization');
    const buttons = [...root.querySelectorAll('.dialog-actions button')].map((b) =>
      b.textContent?.trim(),
    );
    expect(buttons).toEqual(['Deny', 'Approve']);
    await new Promise((r) => setTimeout(r, 0));
    expect(document.activeElement).toBe(button(/Deny/));
  });

  it('sends the edited arguments with Approve (and says they were changed)', async () => {
    const { field, button, fixture, root } = await open(create);
    const title = field<HTMLInputElement>('title');
    title.value = 'DS-8 bay 3 not charging';
    title.dispatchEvent(new Event('input'));
    const priority = field<HTMLSelectElement>('priority');
    priority.value = 'urgent';
    priority.dispatchEvent(new Event('change'));
    fixture.detectChanges();
    expect(root.querySelector('[data-testid="approval-edited"]')).not.toBeNull();
    expect(button(/Approve/).textContent?.trim()).toBe('Approve with changes');
    button(/Approve/).click();
    await fixture.whenStable();
    expect(store.decide).toHaveBeenCalledWith('approve', {
      args: {
        org: 'dallas-police',
        title: 'DS-8 bay 3 not charging',
        description: 'Bay 3.',
        priority: 'urgent',
      },
    });
  });

  it('an unchanged proposal is approved without arguments; Deny sends nothing else', async () => {
    const { button, fixture } = await open(create);
    button(/Approve/).click();
    await fixture.whenStable();
    expect(store.decide).toHaveBeenLastCalledWith('approve', {});
    button(/Deny/).click();
    await fixture.whenStable();
    expect(store.decide).toHaveBeenLastCalledWith('deny', {});
  });

  it('offers "Don\'t ask again" where the policy does, keeps the target read-only, and sends remember', async () => {
    const { field, root, button, fixture } = await open(comment);
    expect(field<HTMLInputElement>('number').readOnly).toBe(true);
    expect(field<HTMLInputElement>('internal').checked).toBe(true);
    const remember = root.querySelector<HTMLInputElement>('[data-testid="approval-remember"]')!;
    expect(remember.parentElement?.textContent).toContain(
      "Don't ask again for comments in this conversation",
    );
    expect(remember.checked).toBe(false);
    remember.click();
    button(/Approve/).click();
    await fixture.whenStable();
    expect(store.decide).toHaveBeenCalledWith('approve', { remember: true });
  });

  it('no "Don\'t ask again" when the policy does not offer it; says so when an admin set "always ask"', async () => {
    const { root } = await open({ ...comment, policy: { alwaysAsk: true, locked: ['number'] } });
    expect(root.querySelector('[data-testid="approval-remember"]')).toBeNull();
    expect(root.textContent).toContain('An administrator set this kind of change to always ask.');
  });
});

describe('approval form fields', () => {
  it('nullable fields, lists of choices, and arguments the schema does not know', () => {
    const schema = {
      type: 'object',
      properties: {
        number: { type: 'string' },
        assignee: { type: ['string', 'null'] },
        permissions: {
          type: 'array',
          items: { type: 'string', enum: ['view_records', 'edit_records'] },
        },
      },
    };
    const args = {
      number: 'TCK-1',
      assignee: null,
      permissions: ['view_records'],
      extra: { a: 1 },
    };
    const fields = fieldsOf(schema, args, ['number']);
    expect(fields.map((f) => [f.name, f.kind])).toEqual([
      ['number', 'text'],
      ['assignee', 'text'],
      ['permissions', 'multi'],
      ['extra', 'json'],
    ]);
    const values = valuesOf(fields, args);
    expect(values).toMatchObject({ assignee: '', permissions: ['view_records'] });
    // The unknown argument came in as an object: kept as JSON text.
    const json = fieldsOf({ type: 'object', properties: { extra: {} } }, args);
    expect(json[0]!.kind).toBe('json');
    expect(argsOf(json, { extra: '{bad' }, args)).toEqual({ error: 'Extra is not valid JSON' });
    const back = argsOf(fields, { ...values, number: 'TCK-9', permissions: [] }, args);
    // A locked field keeps its proposal; a cleared nullable field stays null; an emptied list is sent.
    expect(back).toEqual({
      args: { number: 'TCK-1', assignee: null, permissions: [], extra: { a: 1 } },
    });
  });
});
