/**
 * Basic mode (the offline provider, no AI model): how often a request as agents, supervisors, customers
 * and the admin phrase it reaches the right tool with the right arguments, over the labelled set in
 * services/api/test/fixtures/basic-mode-requests.json; and how many held-out manual questions go to the
 * documentation. Pure routing: no services are started.
 */
import { figure, printFigures } from './lib.js';
import { loadSet, score, type Labelled } from '../services/api/test/basic-mode-set.js';

const set = loadSet('basic-mode-requests.json');
const t0 = performance.now();
const r = score(set);
const ms = (performance.now() - t0) / set.length;
console.log(`basic mode: ${r.right} of ${r.total} labelled requests routed right`);
for (const w of r.wrong) console.log(`  wrong: ${w.item.user}: ${w.item.text} → ${JSON.stringify(w.got)}`);

const manual = ['corpus-questions.json', 'sample-questions.json'].flatMap((f) =>
  (loadSet(f) as unknown as { question: string }[]).map((q): Labelled => ({
    text: q.question,
    user: 'alex_agent',
    tool: 'search_documentation',
  })),
);
const docs = score(manual);
console.log(`manual questions: ${docs.right} of ${docs.total} to the documentation`);
for (const w of docs.wrong) console.log(`  wrong: ${w.item.text} → ${JSON.stringify(w.got)}`);

figure('basic_mode_routing_accuracy', (100 * r.right) / r.total, '%');
figure('basic_mode_requests', r.total, 'requests');
figure('basic_mode_manual_questions_to_docs', (100 * docs.right) / docs.total, '%');
figure('basic_mode_route_time', ms, 'ms/request');
printFigures();
