'use strict';
// Rewrites one "## <title>" section of BENCHMARKS.md, keeping the others (each benchmark script
// owns its own section).

const fs = require('node:fs');

const INTRO = '# Benchmarks\n\nNumbers from the scripts in `scripts/bench/`, each run on the machine it names. Rerun a script to refresh its section.\n';

function updateSection(file, title, body) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : INTRO;
  const heading = `## ${title}`;
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  const replacement = [heading, '', body.trimEnd(), ''];
  let next;
  if (start === -1) {
    next = [...lines.join('\n').trimEnd().split('\n'), '', ...replacement];
  } else {
    let end = lines.findIndex((line, i) => i > start && /^## /.test(line));
    if (end === -1) end = lines.length;
    next = [...lines.slice(0, start), ...replacement, ...lines.slice(end)];
  }
  fs.writeFileSync(file, `${next.join('\n').trimEnd()}\n`);
}

module.exports = { updateSection };
