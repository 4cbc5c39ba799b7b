import { TestBed } from '@angular/core/testing';
import { ApiService } from '../../core/api.service';
import { EntityPanelService, type OrganizationDetail } from './entity-panel.service';
import { OrgCard } from './org-card';

const org = (membersVisible: boolean): OrganizationDetail => ({
  slug: 'dallas-police',
  name: 'Dallas Police Department',
  legacyName: 'Dallas_Police',
  type: 'police',
  region: 'US-South',
  tier: 'enterprise',
  status: 'degraded',
  awareService: null,
  customerSince: '2022-02-25',
  deployments: [
    {
      product: 'V700 Body Camera',
      status: 'live',
      version: '4.2.1',
      deviceCount: 1599,
      lastIncident: null,
      lastIncidentAt: null,
    },
    {
      product: 'Evidence Library',
      status: 'degraded',
      version: '2026.10',
      deviceCount: 0,
      lastIncident: 'Slow playback',
      lastIncidentAt: '2025-05-30T00:00:00Z',
    },
  ],
  membersVisible,
  memberCount: membersVisible ? 2 : null,
});

async function setup(membersVisible: boolean, person?: string) {
  const runTool = vi.fn(async (_s: string, name: string) => {
    if (name === 'get_organization') return { call: { result: org(membersVisible) } };
    return {
      call: {
        result: {
          total: 2,
          members: [
            {
              username: 'andre_walker',
              name: 'Andre Walker',
              email: '',
              title: 'IT',
              permissions: ['view_records'],
            },
            {
              username: 'james_smith',
              name: 'James Smith',
              email: '',
              title: 'Records',
              permissions: [],
            },
          ],
        },
      },
    };
  });
  TestBed.configureTestingModule({ providers: [{ provide: ApiService, useValue: { runTool } }] });
  const fixture = TestBed.createComponent(OrgCard);
  await TestBed.inject(EntityPanelService).openOrganization('dallas-police', person);
  await fixture.whenStable();
  return { runTool, root: fixture.nativeElement as HTMLElement };
}

describe('OrgCard', () => {
  it('shows the status and each deployment with its status, version and last incident', async () => {
    const { root } = await setup(false);
    expect(root.querySelector('h2')!.textContent).toContain('Dallas Police Department');
    const deployments = [...root.querySelectorAll('[data-testid="deployment"]')];
    expect(deployments).toHaveLength(2);
    expect(deployments[0]!.textContent).toContain('V700 Body Camera');
    expect(deployments[0]!.querySelector('.pill')!.textContent).toBe('Live');
    expect(deployments[1]!.textContent).toContain('Slow playback');
    expect(root.querySelector('.pills .pill')!.textContent).toBe('Degraded');
  });

  it('lists members only where the person may see them, never asking otherwise', async () => {
    const { root, runTool } = await setup(false);
    expect(root.querySelector('[data-testid="members-hidden"]')).not.toBeNull();
    expect(runTool.mock.calls.map((c) => c[1])).toEqual(['get_organization']);
  });

  it('puts the person that was clicked first, highlighted', async () => {
    const { root } = await setup(true, 'james_smith');
    const members = [...root.querySelectorAll('[data-testid="member"]')];
    expect(members.map((m) => m.textContent)).toEqual([
      expect.stringContaining('James Smith'),
      expect.stringContaining('Andre Walker'),
    ]);
    expect(members[0]!.classList).toContain('highlight');
    expect(members[1]!.textContent).toContain('View records');
  });
});
