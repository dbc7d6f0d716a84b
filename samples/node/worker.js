// Worker process: a fake job every second; on SIGTERM/SIGINT it finishes the
// current job and exits 0.
'use strict';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let stopping = false;
let wake = () => {};

async function doJob(n) {
  const ms = 100 + Math.floor(Math.random() * 300);
  await sleep(ms); // pretend to work
  console.log(`job ${n} done in ${ms}ms`);
}

// Waits ms, but wakes up at once when a signal arrives.
function pause(ms) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    wake = () => { clearTimeout(t); resolve(); };
  });
}

async function main() {
  console.log('worker started');
  let n = 0;
  while (!stopping) {
    await doJob(++n); // always runs to completion
    if (!stopping) await pause(1000);
  }
  console.log(`worker stopped after ${n} jobs`);
}

function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`received ${signal}, finishing the current job`);
  wake();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

main().then(
  () => process.exit(0),
  (err) => { console.error(err); process.exit(1); },
);
