/**
 * The HostService contract (the desktop shell's functions as the renderer sees them) lives in
 * contracts/src/host.ts, shared with the renderer; main imports it from here.
 */
export * from '@msi/contracts/host';
