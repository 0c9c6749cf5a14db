// Drives the real hot-shots StatsD client for tests/integration/test_statsd.py.
//
//   node statsd_client.js plan.json
//
// plan.json: {"clients": [{"options": {...hot-shots options...},
//                          "calls": [["increment", "name", 1, ["tag:v"]], ...]}]}
// Each client is created with its options, makes its calls in order, and is closed (which
// flushes a buffered client) before the next one starts. Sampled calls are always sent
// (Math.random is pinned to 0), so the test knows exactly what went over the wire and with
// which |@rate, and can check the server's 1/rate correction.
'use strict';
const fs = require('fs');
const StatsD = require('hot-shots');

Math.random = () => 0;

async function runClient(spec) {
  let failed = null;
  const client = new StatsD({
    ...spec.options,
    errorHandler: (err) => { failed = err; },
  });
  for (const [method, ...args] of spec.calls) {
    if (typeof client[method] !== 'function') throw new Error(`no hot-shots method ${method}`);
    client[method](...args);
  }
  await new Promise((resolve, reject) => client.close((err) => (err ? reject(err) : resolve())));
  if (failed) throw failed;
  return spec.calls.length;
}

async function main() {
  const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  let calls = 0;
  for (const spec of plan.clients) calls += await runClient(spec);
  console.log(`sent ${calls} calls`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
