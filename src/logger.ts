import { pino, type Logger } from 'pino';

/** JSON logs on stdout. Credentials and secrets are redacted wherever they might appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', '*.secret', '*.key', '*.adminToken', '*.encryptionKey', '*.databaseUrl'],
      censor: '[redacted]',
    },
  });
}
