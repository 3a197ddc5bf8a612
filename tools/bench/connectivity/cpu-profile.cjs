// Preloaded into the service (NODE_OPTIONS=--require …/cpu-profile.cjs; Node refuses --cpu-prof
// there): the first SIGUSR2 starts a V8 CPU profile, the next one writes it to
// $CPU_PROFILE_DIR/<pid>-<n>.cpuprofile (mqtt-bench.ts sends them around each load phase when
// BENCH_PROFILE_DIR is set). Read it with Chrome DevTools or profile-top.cjs. With
// BENCH_HEAP_PROFILE=1 it samples allocations instead (every object allocated, also those the GC
// collected, so it shows what makes the garbage): <pid>-<n>.heapprofile, read with profile-top.cjs.
// With BENCH_MEMORY_PROFILE=1 it profiles nothing and writes <pid>-<n>.memory.json instead: the
// process.memoryUsage() sampled every 250 ms at the highest RSS (heap, external, array buffers).
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const session = new inspector.Session();
session.connect();
// BENCH_HEAP_PROFILE=live: only what is still alive when the profile is taken (what the heap holds).
const heap = ['1', 'live'].includes(process.env.BENCH_HEAP_PROFILE);
const collectedToo = process.env.BENCH_HEAP_PROFILE === '1';
const memory = process.env.BENCH_MEMORY_PROFILE === '1';
let peak;
let sampler;
let profiling = false;
let written = 0;

function write(extension, profile) {
  const dir = process.env.CPU_PROFILE_DIR || '.';
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${process.pid}-${++written}.${extension}`), JSON.stringify(profile));
}

process.on('SIGUSR2', () => {
  if (!profiling) {
    profiling = true;
    if (memory) {
      peak = process.memoryUsage();
      sampler = setInterval(() => {
        const now = process.memoryUsage();
        if (now.rss > peak.rss) peak = now;
      }, 250);
    } else if (heap) {
      session.post('HeapProfiler.startSampling', {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: collectedToo,
        includeObjectsCollectedByMinorGC: collectedToo,
      });
    } else {
      session.post('Profiler.enable', () => session.post('Profiler.start'));
    }
    return;
  }
  profiling = false;
  if (memory) {
    clearInterval(sampler);
    write('memory.json', Object.fromEntries(Object.entries(peak).map(([key, bytes]) => [key, Math.round(bytes / 2 ** 20)])));
  } else if (heap) {
    session.post('HeapProfiler.stopSampling', (error, result) => !error && write('heapprofile', result.profile));
  } else {
    session.post('Profiler.stop', (error, result) => !error && write('cpuprofile', result.profile));
  }
});
