// The kit's start-up on the built organizations server: listening, SIGTERM, and the exit codes of docs/exit-codes.md.
import { describeDatabaseStartup, describeStartup } from '../../../test/support/startup.js';

describeStartup('organizations', { IDP_ISSUER: 'http://127.0.0.1:9' });
describeDatabaseStartup('organizations', { IDP_ISSUER: 'http://127.0.0.1:9' });
