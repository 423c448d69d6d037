/**
 * worker_threads entry of the cross-thread transport. Started by
 * worker-transport-node.ts from the compiled dist/ioreq/dm-worker-node.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveDeviceModel, type DmWorkerInit } from './dm-worker-core.js';

await serveDeviceModel(workerData as DmWorkerInit, (m) => parentPort?.postMessage(m));
