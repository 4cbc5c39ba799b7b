/**
 * Where the parts are on disk and how to run Node. In development (and `npm run stack`) that is the
 * repository and this very Node; in a packaged Electron app, electron-main passes its own layout:
 * the app directory, the resources directory, and Electron's binary run as Node
 * (ELECTRON_RUN_AS_NODE=1; see docs/packaging.md).
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AppLayout {
  /** The directory holding services/ and node_modules/ (the repo, or the app's asar). */
  root: string;
  /** The built renderer (index.html). */
  rendererDir: string;
  /** The product documentation the API ingests on first start (default: the API's own, <repo>/resources/docs). */
  docsDir?: string;
  /** The Node binary the services run on, and env it needs (ELECTRON_RUN_AS_NODE in a packaged app). */
  node: { execPath: string; env: Record<string, string> };
}

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export function devLayout(root = REPO_ROOT): AppLayout {
  return {
    root,
    rendererDir: join(root, 'renderer/dist/renderer/browser'),
    node: { execPath: process.execPath, env: {} },
  };
}
