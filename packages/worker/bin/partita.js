#!/usr/bin/env node
// A committed shim, so npm links the `partita` bin even before the TypeScript build produced dist/.
try {
  require.resolve('../dist/cli/main.js');
} catch {
  console.error('partita: @partita/worker is not built yet; run `npm run build` (or `npm test` / `npm run demo`) first');
  process.exit(1);
}
require('../dist/cli/main.js');
