/** POST /api/backups: an admin starts a backup now (202 + the job's id); anyone else: 404 `not_found`. */
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { may } from '@msi/contracts/roles';
import { API_ROUTES, type BackupStarted } from '../contract.js';
import type { JobQueue } from '../jobs/queue.js';
import { BACKUP_JOB_KEY } from './backup-job.js';

export function registerBackupRoutes(
  app: FastifyInstance,
  jobs: JobQueue,
  opts: { preHandler: preHandlerHookHandler },
): void {
  app.post(API_ROUTES.backups, { preHandler: opts.preHandler }, async (req, reply) => {
    const p = req.principal!;
    // Not an admin: the route reads as one that does not exist ("not found", never "forbidden").
    if (!may(p.roles, 'runBackups'))
      return reply.status(404).send({ error: 'not_found', message: `no route POST ${API_ROUTES.backups}` });
    // While a backup waits or runs, asking again answers that job (one archive, not two at once).
    const jobId = await jobs.enqueue('backup', {}, { owner: p.sub, dedupe: BACKUP_JOB_KEY });
    return reply.status(202).send({ jobId } satisfies BackupStarted);
  });
}
