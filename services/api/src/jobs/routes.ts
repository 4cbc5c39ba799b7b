/** GET /api/jobs/:id: a job's state, progress and failure reason, for the person who may see it. */
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { may } from '@msi/contracts/roles';
import { API_ROUTES, type JobStatus } from '../contract.js';
import { mayChangeKnowledge } from '../knowledge/routes.js';
import { mayReadJob, type JobQueue } from './queue.js';

export function registerJobRoutes(
  app: FastifyInstance,
  jobs: JobQueue,
  opts: { preHandler: preHandlerHookHandler },
): void {
  app.get<{ Params: { id: string } }>(API_ROUTES.job, { preHandler: opts.preHandler }, async (req, reply) => {
    const p = req.principal!;
    const job = await jobs.get(req.params.id);
    // Someone else's job reads as one that does not exist ("not found", never "forbidden").
    // A job the system started: knowledge work for the staff who may change it, a backup for admins.
    const staff = job?.kind === 'backup' ? may(p.roles, 'runBackups') : mayChangeKnowledge(p);
    if (!job || !mayReadJob(job, p, staff))
      return reply.status(404).send({ error: 'not_found', message: `no job ${req.params.id}` });
    const { owner: _owner, ...status } = job;
    return status satisfies JobStatus;
  });
}
