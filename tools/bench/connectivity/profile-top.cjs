// Self time per function of a .cpuprofile, the top N: where a benchmark's CPU went.
//   node tools/bench/connectivity/profile-top.cjs <file.cpuprofile> [N]
const fs = require('node:fs');
const profile = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const top = Number(process.argv[3] || 40);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const dt = profile.timeDeltas;
profile.samples.forEach((id, i) => {
  const node = byId.get(id);
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/work\/main\//, '')}:${lineNumber + 1}`;
  self.set(key, (self.get(key) || 0) + (dt[i] || 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
[...self.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)
  .forEach(([key, us]) => console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`));
