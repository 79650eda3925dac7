import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from './wait';

const REPO = path.join(__dirname, '../..');
const KAFKA_SH = path.join(REPO, 'scripts/kafka/kafka.sh');

export interface ChaosBrokerOptions {
  /** Client port. @defaultValue 19092 */
  port?: number;
  /** KRaft controller port. @defaultValue 19093 */
  controllerPort?: number;
  /** State dir (data, logs, pid), relative to the repository. @defaultValue '.kafka/chaos' */
  stateDir?: string;
}

/**
 * A second, single-node Kafka broker that the chaos suite may kill, stop and restart, so that the
 * main broker on 9092 (which other tests use) is never disturbed. It runs from the same jars as the
 * main one (scripts/kafka/kafka.sh downloads them on a fresh clone) with a small heap, on its own
 * ports and data dir; a restart reuses the data dir, as a real broker restart would.
 */
export class ChaosBroker {
  readonly port: number;
  readonly controllerPort: number;
  readonly stateDir: string;

  constructor(options: ChaosBrokerOptions = {}) {
    this.port = options.port ?? 19092;
    this.controllerPort = options.controllerPort ?? 19093;
    this.stateDir = path.resolve(REPO, options.stateDir ?? '.kafka/chaos');
  }

  /** Bootstrap servers for clients and `PARTITA_BROKERS`. */
  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts the broker (formatting its data dir on first use) and waits until it answers. A no-op when it runs. */
  async start(): Promise<void> {
    await this.script('start', 180_000);
  }

  /** Starts it with an empty data dir: stops it first if it runs. */
  async startFresh(): Promise<void> {
    await this.stop();
    fs.rmSync(path.join(this.stateDir, 'data'), { recursive: true, force: true });
    await this.start();
  }

  /** Starts it again on the same data dir and waits until it answers (after kill9 or stop). */
  async restart(): Promise<void> {
    await this.start();
  }

  /** Stops it cleanly (SIGTERM, waits for the exit; SIGKILL after 30 s). A no-op when it is not running. */
  async stop(): Promise<void> {
    await this.script('stop', 60_000);
  }

  /** SIGKILLs the broker process (no shutdown, no flush) and waits until it is gone. */
  async kill9(): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) throw new Error(`the chaos broker is not running (no live pid in ${this.stateDir}/kafka.pid)`);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), { timeoutMs: 10_000, message: `broker pid ${pid} to exit after SIGKILL` });
  }

  /** The broker's pid, when it runs. */
  pid(): number | undefined {
    try {
      const pid = Number(fs.readFileSync(path.join(this.stateDir, 'kafka.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  private script(command: 'start' | 'stop', timeoutMs: number): Promise<void> {
    const env = {
      ...process.env,
      KAFKA_STATE_DIR: this.stateDir,
      KAFKA_PORT: String(this.port),
      KAFKA_CONTROLLER_PORT: String(this.controllerPort),
      // Two cores and other tests' broker beside it: a small heap is plenty for the suite.
      KAFKA_HEAP_OPTS: '-Xmx256m -Xms128m',
    };
    return new Promise((resolve, reject) => {
      execFile('bash', [KAFKA_SH, command], { env, timeout: timeoutMs }, (error, stdout, stderr) => {
        if (error) reject(new Error(`scripts/kafka/kafka.sh ${command} for the chaos broker failed: ${error.message}\n${stdout}${stderr}`));
        else resolve();
      });
    });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
