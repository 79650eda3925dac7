import { ConfigurationError } from './errors';

/** Where the Kafka brokers are and how to talk to them. Shared by the enqueuer and the worker. */
export interface ConnectionOptions {
  /**
   * Bootstrap servers: `host:port`, a comma-separated list, or an array of `host:port`.
   * @defaultValue env `PARTITA_BROKERS`, else `'127.0.0.1:9092'`
   */
  brokers?: string | string[];
  /**
   * librdkafka properties passed through unchanged, e.g. `security.protocol`, `sasl.mechanisms`,
   * `sasl.username`, `ssl.ca.location`. They override partita's own settings, so use with care.
   * @defaultValue `{}`
   */
  kafka?: Record<string, string | number | boolean>;
  /**
   * The `client.id` reported to the brokers (shows up in broker logs and quotas).
   * @defaultValue `'partita'`
   */
  clientId?: string;
  /**
   * How long connecting (and each metadata/admin request) may take before it fails with a
   * `BrokerUnavailableError`, so that a down broker never makes a call hang.
   * @defaultValue 10000
   */
  connectTimeoutMs?: number;
}

/** {@link ConnectionOptions} with every default filled in. */
export interface ResolvedConnection {
  /** Comma-separated bootstrap servers, as librdkafka's `bootstrap.servers` wants them. */
  brokers: string;
  kafka: Record<string, string | number | boolean>;
  clientId: string;
  connectTimeoutMs: number;
}

/** Used when neither `connection.brokers` nor `PARTITA_BROKERS` is set: the local dev broker. */
export const DEFAULT_BROKERS = '127.0.0.1:9092';
/** The Kafka `client.id` when `connection.clientId` is not set. */
export const DEFAULT_CLIENT_ID = 'partita';
/** How long a first connection to the brokers may take before `BrokerUnavailableError` (ms). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The bootstrap servers: `connection.brokers`, else env `PARTITA_BROKERS`, else `127.0.0.1:9092`,
 * as one comma-separated string.
 */
export function resolveBrokers(connection?: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): string {
  const given = connection?.brokers;
  if (given !== undefined) {
    const list = typeof given === 'string' ? given.split(',') : given;
    if (!Array.isArray(list)) {
      throw new ConfigurationError('connection.brokers', `connection.brokers must be a string or an array of 'host:port', got ${typeof given}`);
    }
    return joinBrokers(list, 'connection.brokers');
  }
  const fromEnv = env.PARTITA_BROKERS;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return joinBrokers(fromEnv.split(','), 'PARTITA_BROKERS');
  return DEFAULT_BROKERS;
}

function joinBrokers(list: unknown[], option: string): string {
  const brokers = list.map((b) => (typeof b === 'string' ? b.trim() : b));
  if (brokers.length === 0 || brokers.some((b) => typeof b !== 'string' || b === '')) {
    throw new ConfigurationError(option, `${option} must list at least one 'host:port' and no empty entries, got ${JSON.stringify(list)}`);
  }
  return brokers.join(',');
}

/** Fills in the defaults of a {@link ConnectionOptions} and validates it. */
export function resolveConnection(connection?: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
  if (connection !== undefined && (typeof connection !== 'object' || connection === null)) {
    throw new ConfigurationError('connection', 'connection must be an object like { brokers: "host:port" }');
  }
  const allowed = ['brokers', 'kafka', 'clientId', 'connectTimeoutMs'];
  for (const key of Object.keys(connection ?? {})) {
    if (!allowed.includes(key)) {
      throw new ConfigurationError(
        `connection.${key}`,
        `unknown option connection.${key}; allowed: ${allowed.join(', ')} (librdkafka properties go in connection.kafka)`,
      );
    }
  }
  const kafka = connection?.kafka ?? {};
  if (typeof kafka !== 'object' || kafka === null || Array.isArray(kafka)) {
    throw new ConfigurationError('connection.kafka', 'connection.kafka must be an object of librdkafka properties');
  }
  for (const [key, value] of Object.entries(kafka)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new ConfigurationError(`connection.kafka.${key}`, `connection.kafka['${key}'] must be a string, number or boolean, got ${typeof value}`);
    }
  }
  const clientId = connection?.clientId ?? DEFAULT_CLIENT_ID;
  if (typeof clientId !== 'string' || clientId === '') {
    throw new ConfigurationError('connection.clientId', 'connection.clientId must be a non-empty string');
  }
  const connectTimeoutMs = connection?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  assertPositiveMs(connectTimeoutMs, 'connection.connectTimeoutMs');
  return { brokers: resolveBrokers(connection, env), kafka: { ...kafka }, clientId, connectTimeoutMs };
}

/** The librdkafka properties common to every client of a connection. */
export function baseClientConfig(connection: ResolvedConnection): Record<string, string | number | boolean> {
  return {
    'bootstrap.servers': connection.brokers,
    'client.id': connection.clientId,
    // Without this a connection attempt to a silent host waits for the OS TCP timeout (minutes).
    'socket.connection.setup.timeout.ms': Math.max(1000, Math.round(connection.connectTimeoutMs)), // librdkafka's minimum is 1000
    ...connection.kafka,
  };
}

/** Throws a {@link ConfigurationError} unless `value` is a positive, finite number of milliseconds. */
export function assertPositiveMs(value: unknown, option: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(option, `${option} must be a positive number of milliseconds, got ${String(value)}`);
  }
}
