// Self time per function of a .cpuprofile (or bytes allocated per function of a .heapprofile),
// the top N: where a benchmark's CPU (or its garbage) came from.
//   node tools/bench/connectivity/profile-top.cjs <file.cpuprofile|file.heapprofile> [N]
const fs = require('node:fs');
const file = process.argv[2];
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const top = Number(process.argv[3] || 40);
const self = new Map();
const name = ({ functionName, url, lineNumber }) =>
  `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/work\/main\//, '')}:${lineNumber + 1}`;
const add = (key, value) => self.set(key, (self.get(key) || 0) + value);
if (file.endsWith('.heapprofile')) {
  const walk = (node) => {
    add(name(node.callFrame), node.selfSize);
    node.children.forEach(walk);
  };
  walk(profile.head);
} else {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  profile.samples.forEach((id, i) => add(name(byId.get(id).callFrame), profile.timeDeltas[i] || 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
[...self.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)
  .forEach(([key, value]) => console.log(`${((100 * value) / total).toFixed(1).padStart(5)}%  ${key}`));
