/** For specs: the renderer configuration of a Local-mode window (the IDP and API on this computer). */
import type { RendererConfig } from '@msi/contracts/host';

export const LOCAL_CONFIG: RendererConfig = {
  mode: 'local',
  issuer: 'http://127.0.0.1:9400',
  clientId: 'renderer',
  apiUrl: 'http://127.0.0.1:8000',
  scopes: 'openid',
};
