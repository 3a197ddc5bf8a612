// Preloaded into the service (NODE_OPTIONS=--require …/cpu-profile.cjs; Node refuses --cpu-prof
// there): the first SIGUSR2 starts a V8 CPU profile, the next one writes it to
// $CPU_PROFILE_DIR/<pid>-<n>.cpuprofile (mqtt-bench.ts sends them around each load phase when
// BENCH_PROFILE_DIR is set). Read it with Chrome DevTools or profile-top.cjs.
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const session = new inspector.Session();
session.connect();
let profiling = false;
let written = 0;
process.on('SIGUSR2', () => {
  if (!profiling) {
    profiling = true;
    session.post('Profiler.enable', () => session.post('Profiler.start'));
    return;
  }
  profiling = false;
  session.post('Profiler.stop', (error, result) => {
    if (error) return;
    const dir = process.env.CPU_PROFILE_DIR || '.';
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${process.pid}-${++written}.cpuprofile`), JSON.stringify(result.profile));
  });
});
