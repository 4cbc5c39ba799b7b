/** Chroma's environment (DESIGN.md, "Running the parts"): the same names as every other service. */
import { DEFAULT_PORTS } from '@msi/contracts/endpoints';
import { env, loadConfig, type ConfigOf } from '@msi/kit/config';
import { join, resolve } from 'node:path';

export const CHROMA_SPEC = {
  PORT: env.port(DEFAULT_PORTS.chroma),
  HOST: env.string('127.0.0.1'),
  MSI_DATA_DIR: env.string('./.data'),
  /** Chroma's own directory; default MSI_DATA_DIR/chroma. */
  CHROMA_PATH: env.optionalString(),
  /** When set, every request but the health probes must carry it (token-gate.ts). */
  CHROMA_TOKEN: env.optionalString(),
};

export interface ChromaConfig {
  host: string;
  port: number;
  path: string;
  token?: string;
}

export function chromaConfig(source: NodeJS.ProcessEnv = process.env): ChromaConfig {
  const cfg: ConfigOf<typeof CHROMA_SPEC> = loadConfig('chroma', CHROMA_SPEC, source);
  return {
    host: cfg.HOST,
    port: cfg.PORT,
    path: resolve(cfg.CHROMA_PATH ?? join(cfg.MSI_DATA_DIR, 'chroma')),
    ...(cfg.CHROMA_TOKEN ? { token: cfg.CHROMA_TOKEN } : {}),
  };
}

/** The arguments of chromadb's own CLI for this configuration. */
export function chromaArgs(cfg: Pick<ChromaConfig, 'host' | 'port' | 'path'>): string[] {
  return ['run', '--path', cfg.path, '--host', cfg.host, '--port', String(cfg.port)];
}
