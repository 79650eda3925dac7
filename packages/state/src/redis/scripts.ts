import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Lua scripts of the store, read once when this module loads from the `.lua` files next to it
 * (`lua/`: under src/ for tests, copied into dist/ by the build). Each script's file says what it
 * does and its KEYS/ARGV. Every script starts with `lua/helpers.lua`, the functions they share: a
 * script runs on its own on the server, so each carries its own copy.
 */
const LUA_DIR = join(__dirname, 'lua');

function luaFile(name: string): string {
  return readFileSync(join(LUA_DIR, `${name}.lua`), 'utf8');
}

const HELPERS = luaFile('helpers');

/** A script as Redis runs it: the shared helpers, then its own body. */
function script(name: string): string {
  return `${HELPERS}\n${luaFile(name)}`;
}

/** Applies a batch of recorded state changes of one queue (see `lua/apply.lua`). */
export const APPLY_SCRIPT = script('apply');
/** Reserves job ids before their jobs are produced (see `lua/reserve.lua`). */
export const RESERVE_SCRIPT = script('reserve');
/** Drops reservations whose jobs were not produced (see `lua/release.lua`). */
export const RELEASE_SCRIPT = script('release');
/** Removes a state's jobs older than a point in time (see `lua/clean.lua`). */
export const CLEAN_SCRIPT = script('clean');
