import { TestBed } from '@angular/core/testing';
import { HOST_BRIDGE_KEY, type HostBridge, type ServiceStatus } from '@msi/contracts/host';
import { HOST } from './host.service';

describe('HOST under Electron', () => {
  afterEach(() => {
    delete (window as unknown as Record<string, unknown>)[HOST_BRIDGE_KEY];
  });

  it('uses the preload bridge found at window[HOST_BRIDGE_KEY]', async () => {
    const status: ServiceStatus[] = [{ name: 'api', state: 'ready', restarts: 0 }];
    const bridge: HostBridge = {
      invoke: vi.fn(async () => status) as HostBridge['invoke'],
      onStatus: vi.fn(() => () => undefined),
    };
    (window as unknown as Record<string, unknown>)[HOST_BRIDGE_KEY] = bridge;
    const host = TestBed.inject(HOST);
    expect(host.kind).toBe('electron');
    expect(await host.getStatus()).toEqual(status);
    expect(bridge.invoke).toHaveBeenCalledWith('getStatus');
    await expect(host.getLogs('api', 5)).resolves.toEqual(status);
    expect(bridge.invoke).toHaveBeenLastCalledWith('getLogs', 'api', 5);
  });

  it('says what failed when the bridge call fails', async () => {
    const bridge: HostBridge = {
      invoke: vi.fn(async () => {
        throw new Error('no host method');
      }) as HostBridge['invoke'],
      onStatus: () => () => undefined,
    };
    (window as unknown as Record<string, unknown>)[HOST_BRIDGE_KEY] = bridge;
    await expect(TestBed.inject(HOST).appInfo()).rejects.toThrow(
      'The desktop shell could not appInfo: no host method',
    );
  });
});
