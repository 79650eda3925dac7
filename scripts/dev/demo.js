// The demo: starts the example web app and `npx partita worker`, enqueues jobs over HTTP and shows
// them processed: the jobs of one user (or order) in order, different users in parallel.
const { spawn } = require('node:child_process');
const path = require('node:path');

const appDir = path.join(__dirname, '../../apps/example');
const port = Number(process.env.DEMO_PORT ?? 3456);
const children = [];

function start(name, command, args) {
  // Each child leads a process group of its own, so that stopping it reaches what it started too:
  // `npx` runs the worker through `sh -c`, and a SIGTERM to npx alone is not passed on to the worker.
  const child = spawn(command, args, { cwd: appDir, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines = [];
  const onData = (chunk) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      lines.push(line);
      console.log(`${name.padEnd(6)} | ${line}`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  children.push(child);
  return { child, lines };
}

async function waitFor(what, condition, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function post(pathname, body) {
  const res = await fetch(`http://127.0.0.1:${port}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`POST ${pathname} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

async function main() {
  console.log('demo   | starting the web app (it provisions its topics) ...');
  const web = start('web', 'node', ['dist/server.js']);
  await waitFor('the web app', () => web.lines.some((l) => l.includes('listening')));

  console.log('demo   | starting the worker: npx partita worker --jobs ./dist/jobs.js');
  const worker = start('worker', 'npx', ['--no-install', 'partita', 'worker', '--jobs', './dist/jobs.js', '--concurrency', '8', '--stats-interval', '0']);
  await waitFor(
    'the worker to get its partitions',
    () => worker.lines.filter((l) => l.includes('assigned')).length > 0 && worker.lines.some((l) => l.includes('running')),
  );

  const users = ['alice', 'bob', 'carol'];
  const orders = ['A-100', 'B-200'];
  const steps = ['reserve', 'charge', 'ship'];
  console.log('demo   | enqueuing over HTTP: 4 profile changes for each of 3 users, 3 steps for each of 2 orders');
  await Promise.all([
    ...users.map(async (user) => {
      for (let seq = 1; seq <= 4; seq++) await post(`/users/${user}/profile`, { seq, field: 'nickname', value: `${user}-v${seq}` });
    }),
    ...orders.map(async (order) => {
      for (let seq = 1; seq <= 3; seq++) await post(`/orders/${order}/steps`, { seq, step: steps[seq - 1] });
    }),
  ]);
  const expected = users.length * 4 + orders.length * 3;
  const jobLines = () => worker.lines.filter((l) => l.startsWith('[job]'));
  await waitFor(`${expected} jobs`, () => jobLines().length >= expected);

  const byKey = new Map();
  for (const line of jobLines()) {
    const [, kind, key, seq] = line.match(/\[job\] (user|order) (\S+) change #(\d+)/);
    const list = byKey.get(`${kind} ${key}`) ?? [];
    list.push(Number(seq));
    byKey.set(`${kind} ${key}`, list);
  }
  console.log("\ndemo   | order in which each key's jobs ran:");
  let allInOrder = true;
  for (const [key, seqs] of byKey) {
    const inOrder = seqs.every((s, i) => s === i + 1);
    allInOrder &&= inOrder;
    console.log(`demo   |   ${key.padEnd(14)} ${seqs.join(' → ')}  ${inOrder ? 'in order' : 'OUT OF ORDER'}`);
  }
  console.log(`demo   | ${expected} jobs ran; keys interleaved with each other while each key stayed in order.\n`);
  return allInOrder;
}

/** True while some process of the group led by `pid` is alive (zombies aside). */
function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
  } catch {
    return false;
  }
  // kill(2) also finds zombies nobody reaped; /proc tells them apart where it exists.
  try {
    const fs = require('node:fs');
    return fs.readdirSync('/proc').some((name) => {
      if (!/^\d+$/.test(name)) return false;
      try {
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[2]) === pid && fields[0] !== 'Z';
      } catch {
        return false;
      }
    });
  } catch {
    return true;
  }
}

/** SIGTERM to every child's process group; waits until each group is gone (SIGKILL after 40 s). */
async function stopAll() {
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + 40000;
  while (children.some((child) => groupAlive(child.pid))) {
    if (Date.now() > deadline) {
      for (const child of children) if (groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Ctrl-C reaches only the demo now (the children have their own process groups): it stops them.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.log(`demo   | ${signal}: stopping the web app and the worker`);
    stopAll().then(() => process.exit(1));
  });
}

main()
  .then(async (ok) => {
    await stopAll();
    process.exit(ok ? 0 : 1);
  })
  .catch(async (error) => {
    console.error(`demo   | failed: ${error.message}`);
    await stopAll();
    process.exit(1);
  });
