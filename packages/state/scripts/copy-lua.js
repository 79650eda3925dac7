#!/usr/bin/env node
// Build step after tsc: copies the Lua scripts (src/redis/lua/*.lua) next to the compiled JS
// (dist/redis/lua/), where src/redis/scripts.ts reads them at run time.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const from = path.join(__dirname, '..', 'src', 'redis', 'lua');
const to = path.join(__dirname, '..', 'dist', 'redis', 'lua');

fs.rmSync(to, { recursive: true, force: true });
fs.mkdirSync(to, { recursive: true });
for (const name of fs.readdirSync(from)) {
  if (name.endsWith('.lua')) fs.copyFileSync(path.join(from, name), path.join(to, name));
}
