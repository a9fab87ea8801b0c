// A worker thread of the judge bench: runs the jobs it is sent (some canaries of a cell), one at a time.
import { parentPort } from 'node:worker_threads';
import { runJob } from './judge.js';

parentPort!.on('message', (job: Parameters<typeof runJob>[0]) => parentPort!.postMessage(runJob(job)));
