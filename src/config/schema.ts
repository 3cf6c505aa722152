// The one place that knows Herald's settings: each has an environment variable, a default and a
// description. Nothing else reads process.env (see load.ts).
import * as p from './parsers.ts';

export interface Setting<T> {
  env: string;
  description: string;
  /** Absent means the setting is optional and undefined unless set. */
  default?: T;
  /** Secrets are never printed; the summary shows whether they are set. */
  secret?: boolean;
  parse: p.Parser<T>;
}

function setting<T>(s: Setting<T>): Setting<T> {
  return s;
}

export const settings = {
  port: setting({ env: 'HERALD_PORT', default: 8080, parse: p.integer(0, 65535), description: 'TCP port the API listens on.' }),
  host: setting({ env: 'HERALD_HOST', default: '127.0.0.1', parse: p.text, description: 'Address the API binds to (0.0.0.0 for every interface).' }),
  roles: setting({
    env: 'HERALD_ROLES',
    default: ['api', 'worker'] as ('api' | 'worker')[],
    parse: p.setOf('api', 'worker'),
    description: 'What this process runs: api, worker, or both (comma-separated).',
  }),
  splitRoles: setting({
    env: 'HERALD_SPLIT_ROLES',
    default: true,
    parse: p.boolean,
    description: 'On PostgreSQL, run the worker role in a worker thread of `herald start`, so the API and the worker use separate cores; publishes hand their deliveries to it across threads. With PGlite the database has a thread of its own instead, and both roles share one.',
  }),
  databaseUrl: setting<string>({
    env: 'HERALD_DATABASE_URL',
    parse: p.postgresUrl,
    secret: true,
    description: 'PostgreSQL connection URL. Unset: the embedded database (PGlite) in HERALD_DATA_DIR.',
  }),
  dataDir: setting({ env: 'HERALD_DATA_DIR', default: './data', parse: p.text, description: 'Folder for the embedded database and the generated encryption key.' }),
  dbPoolSize: setting({ env: 'HERALD_DB_POOL_SIZE', default: 10, parse: p.integer(1, 1000), description: 'PostgreSQL connections per process.' }),
  adminToken: setting<string>({
    env: 'HERALD_ADMIN_TOKEN',
    parse: (raw) => {
      if (raw.length < 16) throw new Error('must be at least 16 characters');
      return raw;
    },
    secret: true,
    description: "The operator's bearer token. Unset: one is generated on first start, printed once and stored hashed.",
  }),
  encryptionKey: setting<Buffer>({
    env: 'HERALD_ENCRYPTION_KEY',
    parse: p.key32,
    secret: true,
    description: 'Key (32 bytes, base64 or hex) that encrypts endpoint secrets at rest. Unset: generated into HERALD_DATA_DIR. Every process sharing a database needs the same key.',
  }),
  allowHttp: setting({ env: 'HERALD_ALLOW_HTTP', default: false, parse: p.boolean, description: 'Accept http:// endpoint URLs (https only otherwise).' }),
  allowedCidrs: setting({
    env: 'HERALD_ALLOWED_CIDRS',
    default: [] as string[],
    parse: p.cidrList,
    description: 'Comma-separated CIDR ranges that endpoints may reach although they are not public (e.g. 127.0.0.0/8).',
  }),
  maxBodyBytes: setting({ env: 'HERALD_MAX_BODY_BYTES', default: 256 * 1024, parse: p.integer(1024, 64 * 1024 * 1024), description: 'Largest request body the API accepts, in bytes.' }),
  maxBatchBodyBytes: setting({
    env: 'HERALD_MAX_BATCH_BODY_BYTES',
    default: 8 * 1024 * 1024,
    parse: p.integer(1024, 512 * 1024 * 1024),
    description: 'Largest body of a batch publish (each event\'s data is still held to HERALD_MAX_BODY_BYTES).',
  }),
  maxJsonDepth: setting({ env: 'HERALD_MAX_JSON_DEPTH', default: 64, parse: p.integer(1, 1000), description: 'Deepest nesting of arrays and objects the API accepts in a JSON body.' }),
  secretGracePeriodMs: setting({
    env: 'HERALD_SECRET_GRACE_PERIOD',
    default: 24 * 3_600_000,
    parse: p.duration(0, 30 * 86_400_000),
    description: 'How long a rotated endpoint secret still signs deliveries, unless the rotation says otherwise.',
  }),
  rateLimitPerSecond: setting({
    env: 'HERALD_RATE_LIMIT',
    default: 1000,
    parse: p.integer(0, 1_000_000),
    description: 'Requests per second allowed per API key (and for the operator token); 0 turns the limit off.',
  }),
  deliveryTimeoutMs: setting({
    env: 'HERALD_DELIVERY_TIMEOUT',
    default: 15_000,
    parse: p.duration(100, 300_000),
    description: 'Absolute deadline of one delivery attempt, from connecting to the end of the response body.',
  }),
  responseBodyLimit: setting({
    env: 'HERALD_RESPONSE_BODY_LIMIT',
    default: 20 * 1024,
    parse: p.integer(0, 10 * 1024 * 1024),
    description: 'Bytes of each response body kept in the attempt log; the rest is not read.',
  }),
  retryScheduleMs: setting({
    env: 'HERALD_RETRY_SCHEDULE',
    default: [0, 5_000, 30_000, 120_000, 300_000, 600_000, 1_200_000, 1_200_000],
    parse: p.durationList,
    description: 'Delay before each attempt, comma-separated; its length is the number of attempts (default about an hour in all).',
  }),
  maxRetryAfterMs: setting({
    env: 'HERALD_MAX_RETRY_AFTER',
    default: 600_000,
    parse: p.duration(0, 86_400_000),
    description: "The longest a receiver's Retry-After header may postpone a retry.",
  }),
  workerConcurrency: setting({
    env: 'HERALD_WORKER_CONCURRENCY',
    default: 256,
    parse: p.integer(1, 100_000),
    description: 'Deliveries one worker process sends at the same time.',
  }),
  endpointConcurrency: setting({
    env: 'HERALD_ENDPOINT_CONCURRENCY',
    default: 16,
    parse: p.integer(1, 10_000),
    description: 'Deliveries one worker process sends to the same endpoint at the same time (so a slow endpoint cannot take every slot).',
  }),
  claimBatchSize: setting({
    env: 'HERALD_CLAIM_BATCH',
    default: 200,
    parse: p.integer(1, 10_000),
    description: 'Most deliveries a worker claims in one query.',
  }),
  leaseMs: setting({
    env: 'HERALD_LEASE',
    default: 60_000,
    parse: p.duration(1_000, 3_600_000),
    description: 'How long a claimed delivery stays reserved for its worker; after that (a crashed worker) it is due again. Keep it above HERALD_DELIVERY_TIMEOUT.',
  }),
  pollIntervalMs: setting({
    env: 'HERALD_POLL_INTERVAL',
    default: 1_000,
    parse: p.duration(10, 60_000),
    description: 'How often an idle worker looks for due deliveries when no notification wakes it.',
  }),
  shutdownTimeoutMs: setting({
    env: 'HERALD_SHUTDOWN_TIMEOUT',
    default: 20_000,
    parse: p.duration(0, 600_000),
    description: 'On SIGTERM, how long in-flight deliveries may finish before they are released for another worker.',
  }),
  retentionDays: setting({
    env: 'HERALD_RETENTION_DAYS',
    default: 7,
    parse: p.integer(1, 3650),
    description: 'Events, deliveries and attempts older than this many days are deleted.',
  }),
  autoDisableFailures: setting({
    env: 'HERALD_AUTO_DISABLE_FAILURES',
    default: 20,
    parse: p.integer(0, 1_000_000),
    description: 'Consecutive failed deliveries after which an endpoint without a recent success is disabled (0: never).',
  }),
  autoDisableAfterMs: setting({
    env: 'HERALD_AUTO_DISABLE_AFTER',
    default: 24 * 3_600_000,
    parse: p.duration(0, 365 * 86_400_000),
    description: 'How long an endpoint must have gone without a successful delivery before it can be auto-disabled.',
  }),
  maintenanceIntervalMs: setting({
    env: 'HERALD_MAINTENANCE_INTERVAL',
    default: 30_000,
    parse: p.duration(100, 3_600_000),
    description: 'How often a worker runs the auto-disable sweep and the retention purge.',
  }),
  caFile: setting<string>({
    env: 'HERALD_CA_FILE',
    parse: p.text,
    description: 'PEM file of extra certificate authorities trusted for endpoint TLS (private PKI), in addition to the system ones.',
  }),
  userAgent: setting({ env: 'HERALD_USER_AGENT', default: 'Herald-Webhooks/1.0', parse: p.text, description: 'User-Agent header of deliveries.' }),
  logLevel: setting({
    env: 'HERALD_LOG_LEVEL',
    default: 'info' as 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent',
    parse: p.oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    description: 'Log level.',
  }),
};

type Settings = typeof settings;
export type Config = {
  readonly [K in keyof Settings]: Settings[K] extends Setting<infer T>
    ? Settings[K]['default'] extends undefined ? T | undefined : T
    : never;
};
