'use strict';
// Loads partita's built packages by name, as an app would, from this checkout or from the checkout
// named by PARTITA_ROOT: set on one contender, it compares a change with the code before it in one run.

const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');

/** The checkout whose packages the benchmark runs. */
function partitaRoot() {
  return process.env.PARTITA_ROOT ? path.resolve(process.env.PARTITA_ROOT) : ROOT;
}

/** `require('@partita/<name>')` resolved from {@link partitaRoot}; says to build when dist is missing. */
function loadPackage(name) {
  const root = partitaRoot();
  // Checkouts from before @partita/kafka existed had its plumbing in @partita/enqueuer.
  if (name === 'kafka' && !hasPackage(root, 'kafka')) name = 'enqueuer';
  try {
    return require(require.resolve(`@partita/${name}`, { paths: [root] }));
  } catch (error) {
    console.error(`Could not load @partita/${name} from ${root}: build first (npx turbo run build there)`);
    throw error;
  }
}

function hasPackage(root, name) {
  try {
    require.resolve(`@partita/${name}`, { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

module.exports = { loadPackage, partitaRoot };
