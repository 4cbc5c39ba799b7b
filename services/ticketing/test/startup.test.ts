// The kit's start-up on the built ticketing server: listening, SIGTERM, and the exit codes of docs/exit-codes.md.
import { describeStartup } from '../../../test/support/startup.js';

describeStartup('ticketing', { IDP_ISSUER: 'http://127.0.0.1:9', SEED_TICKETS: '20' });
