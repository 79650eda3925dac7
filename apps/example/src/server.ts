// The example web app: HTTP handlers that enqueue jobs. Jobs of one user (or order) run in order.
import http from 'node:http';
import { closeDefaultEnqueuer, configure, ensureTopic } from '@partita/enqueuer';
import { AdvanceOrder, UpdateProfile } from './jobs';

const port = Number(process.env.PORT ?? 3000);
configure({ connection: { brokers: process.env.PARTITA_BROKERS } });

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body ? (JSON.parse(body) as Record<string, unknown>) : {};
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const profile = url.pathname.match(/^\/users\/([\w-]+)\/profile$/);
    const order = url.pathname.match(/^\/orders\/([\w-]+)\/steps$/);
    if (req.method === 'POST' && profile) {
      const body = await readJson(req);
      const job = await UpdateProfile.performLater({
        userId: profile[1],
        seq: Number(body.seq),
        field: String(body.field),
        value: String(body.value),
      });
      return reply(res, 202, job);
    }
    if (req.method === 'POST' && order) {
      const body = await readJson(req);
      const job = await AdvanceOrder.performLater({ orderId: order[1], seq: Number(body.seq), step: body.step as 'reserve' });
      return reply(res, 202, job);
    }
    if (req.method === 'GET' && url.pathname === '/health') return reply(res, 200, { ok: true });
    reply(res, 404, { error: 'not found' });
  } catch (error) {
    reply(res, 400, { error: (error as Error).message });
  }
}

// handle answers every error itself, so the promise it returns never rejects.
const server = http.createServer((req, res) => void handle(req, res));

async function main(): Promise<void> {
  // Topics are provisioned explicitly: partita never relies on broker auto-creation.
  await ensureTopic(UpdateProfile.queue, { partitions: 4 });
  await ensureTopic(AdvanceOrder.queue, { partitions: 4 });
  server.listen(port, '127.0.0.1', () => console.log(`[web] listening on http://127.0.0.1:${port}`));
}

// On shutdown, stop taking requests and flush the jobs still queued in the process.
process.on('SIGTERM', () => {
  server.close();
  // Exits whether or not the flush succeeded; nothing is left to wait for.
  void closeDefaultEnqueuer().finally(() => process.exit(0));
});

main().catch((error: Error) => {
  console.error(`[web] ${error.message}`);
  process.exit(1);
});
