// A worker thread of the judge bench: runs the cells it is sent, one at a time.
import { parentPort } from 'node:worker_threads';
import { runCell } from './judge.js';

parentPort!.on('message', (job: Parameters<typeof runCell>[0]) => parentPort!.postMessage(runCell(job)));
