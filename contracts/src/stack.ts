/**
 * `<data dir>/stack.json`: the running stack as the app reports it (DESIGN.md, "Running the parts").
 * The stack (main/src/node/stack.ts) writes it whenever a service changes state; tests and scripts wait
 * on it. One schema for both sides.
 */
import { z } from 'zod';
import { SERVICE_NAMES } from './endpoints.js';
import { SERVICE_STATES } from './host.js';
import { MODES } from './settings.js';

export const StackServiceSchema = z
  .object({
    /** Absent until the supervisor has chosen the port. */
    url: z.string().url().optional(),
    /** The current process, null while none runs. */
    pid: z.number().int().positive().nullable(),
    state: z.enum(SERVICE_STATES),
  })
  .strict();
export type StackService = z.infer<typeof StackServiceSchema>;

export const StackFileSchema = z
  .object({
    /** Every local service by name; empty in remote mode and before the supervisor starts. */
    services: z.record(z.enum(SERVICE_NAMES), StackServiceSchema),
    /** Where the renderer is served (the host). */
    renderer: z.object({ url: z.string().url() }).strict(),
    mode: z.enum(MODES),
    updatedAt: z.string().datetime(),
  })
  .strict();
export type StackFile = z.infer<typeof StackFileSchema>;

export const STACK_FILE = 'stack.json';
