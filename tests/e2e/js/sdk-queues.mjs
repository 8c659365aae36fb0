// One queue operation through @immich/sdk, for the Python test to interleave with uploads.
// Usage: node sdk-queues.mjs <baseUrl ending in /api> <apiKey> <operation> <queue> [json argument]
// operations: command (PUT /jobs/{name}), update (PUT /queues/{name}), empty (DELETE /queues/{name}/jobs),
// get (GET /queues/{name}), legacy (GET /jobs). Prints {"ok": true, "value": ...} or {"ok": false, ...}.
import {
  emptyQueue,
  getQueue,
  getQueuesLegacy,
  init,
  isHttpError,
  runQueueCommandLegacy,
  updateQueue,
} from '@immich/sdk';

const [baseUrl, apiKey, operation, name, json] = process.argv.slice(2);
init({ baseUrl, apiKey });
const argument = json ? JSON.parse(json) : {};
const calls = {
  command: () => runQueueCommandLegacy({ name, queueCommandDto: argument }),
  update: () => updateQueue({ name, queueUpdateDto: argument }),
  empty: () => emptyQueue({ name, queueDeleteDto: argument }),
  get: () => getQueue({ name }),
  legacy: () => getQueuesLegacy(),
};
try {
  const value = await calls[operation]();
  console.log(JSON.stringify({ ok: true, value: value ?? null }));
} catch (error) {
  console.log(JSON.stringify(isHttpError(error)
    ? { ok: false, status: error.status, error: error.data ?? null }
    : { ok: false, status: null, error: String(error) }));
}
