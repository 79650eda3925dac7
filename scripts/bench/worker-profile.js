'use strict';
// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, highest first.
//
//   node scripts/bench/worker-profile.js <file.cpuprofile> [top]

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');

function shortUrl(url) {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(ROOT)) u = path.relative(ROOT, u);
  return u.replace(/^.*node_modules\//, '~/');
}

/** Returns { totalMs, rows: [{ fn, where, selfMs, pct }] } aggregated by function and location. */
function summariseProfile(file, top = 20) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] || 0) / 1000;
    total += dt;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    const cf = node.callFrame;
    const where = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}\u0000${where}`;
    self.set(key, (self.get(key) || 0) + dt);
  }
  const rows = [...self.entries()]
    .map(([key, ms]) => {
      const [fn, where] = key.split('\u0000');
      return { fn, where, selfMs: ms, pct: (100 * ms) / total };
    })
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top);
  return { totalMs: total, rows };
}

function formatProfile({ totalMs, rows }) {
  const lines = [`total sampled: ${(totalMs / 1000).toFixed(2)} s`, '  self ms  self %  function  (location)'];
  for (const r of rows) lines.push(`${r.selfMs.toFixed(0).padStart(9)} ${r.pct.toFixed(1).padStart(6)}%  ${r.fn}  ${r.where ? `(${r.where})` : ''}`);
  return lines.join('\n');
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node scripts/bench/worker-profile.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(formatProfile(summariseProfile(file, Number(top) || 25)));
}

module.exports = { summariseProfile, formatProfile };
