/**
 * The desktop settings (DATA_DIR/settings.json and the HostService's getSettings/updateSettings): zod
 * schemas, and the types inferred from them. main validates with the schemas; the renderer imports the
 * types only (so zod stays out of its bundle).
 */
import { z } from 'zod';

const isHttpUrl = (u: string) => {
  try {
    return /^https?:$/.test(new URL(u).protocol);
  } catch {
    return false;
  }
};

/** An http(s) URL or empty; trailing slashes dropped. */
const optionalUrl = z
  .string()
  .trim()
  .refine((u) => u === '' || isHttpUrl(u), 'must be an http(s) URL (or empty)')
  .transform((u) => u.replace(/\/+$/, ''));

/** A client id at the remote provider: printable ASCII (RFC 6749 §A.1). */
const clientId = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[\x20-\x7E]+$/, 'must be printable ASCII');
/** Space-separated scope tokens (RFC 6749 §3.3) that include `openid` (the app signs people in). */
const scopes = z
  .string()
  .trim()
  .max(1000)
  .regex(
    /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/,
    'must be scopes separated by single spaces',
  )
  .refine((v) => v.split(' ').includes('openid'), 'must include openid');

export const MODES = ['local', 'remote'] as const;
export const MODEL_PROVIDERS = ['offline', 'openai'] as const;
export const THEMES = ['system', 'light', 'dark'] as const;
export const DEFAULT_MODEL = 'gpt-4o-mini';

const modelName = z.string().trim().min(1).max(200);

/** settings.json: every field has a default, so `{}` (or no file) is the defaults; unknown keys are refused. */
export const StoredSettingsSchema = z
  .object({
    mode: z.enum(MODES).default('local'),
    remote: z
      .object({
        issuer: optionalUrl.default(''),
        apiUrl: optionalUrl.default(''),
        /** The app's client id at the remote provider (default msi-desktop). */
        clientId: clientId.optional(),
        /** The scopes it asks for there (default DESKTOP_SCOPES: openid profile email offline_access api). */
        scopes: scopes.optional(),
      })
      .strict()
      .default({}),
    model: z
      .object({
        provider: z.enum(MODEL_PROVIDERS).default('offline'),
        model: modelName.default(DEFAULT_MODEL),
        baseUrl: optionalUrl.default(''),
      })
      .strict()
      .default({}),
    theme: z.enum(THEMES).default('system'),
  })
  .strict();
export type StoredSettings = z.output<typeof StoredSettingsSchema>;

/** What getSettings answers: the stored settings, and whether an API key is kept (never the key). */
export const SettingsSchema = StoredSettingsSchema.extend({ apiKeySet: z.boolean() });
export type Settings = z.output<typeof SettingsSchema>;
export type Mode = Settings['mode'];

/** updateSettings' argument: only what changes; `apiKey` is a new key, or null to remove it. */
export const SettingsUpdateSchema = z
  .object({
    mode: z.enum(MODES).optional(),
    remote: z
      .object({
        issuer: optionalUrl.optional(),
        apiUrl: optionalUrl.optional(),
        clientId: clientId.optional(),
        scopes: scopes.optional(),
      })
      .strict()
      .optional(),
    model: z
      .object({
        provider: z.enum(MODEL_PROVIDERS).optional(),
        model: modelName.optional(),
        baseUrl: optionalUrl.optional(),
      })
      .strict()
      .optional(),
    apiKey: z.union([z.string().trim().min(1).max(1000), z.null()]).optional(),
    theme: z.enum(THEMES).optional(),
  })
  .strict();
/** What a caller sends (before trimming and defaults). */
export type SettingsUpdate = z.input<typeof SettingsUpdateSchema>;
