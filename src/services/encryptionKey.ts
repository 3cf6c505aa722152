// The key that seals endpoint secrets: HERALD_ENCRYPTION_KEY, or a key generated once into the
// data dir. A sealed check value in the database catches a process started with the wrong key
// before it can write secrets nobody could read back.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createSecretBox, type SecretBox } from '../domain/secretBox.ts';
import type { Db } from '../store/db.ts';
import { getSetting, insertSettingIfAbsent } from '../store/settings.ts';

const checkSetting = 'encryption_key_check';
const checkText = 'herald-encryption-key-check';

export function loadOrCreateKey(configured: Buffer | undefined, dataDir: string): Buffer {
  if (configured) return configured;
  const file = path.resolve(dataDir, 'encryption.key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  mkdirSync(path.dirname(file), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}

export async function verifiedSecretBox(db: Db, key: Buffer): Promise<SecretBox> {
  const box = createSecretBox(key);
  await insertSettingIfAbsent(db, checkSetting, box.seal(checkText));
  const sealed = await getSetting<string>(db, checkSetting);
  let opened: string | undefined;
  try {
    opened = box.open(sealed!);
  } catch {
    opened = undefined;
  }
  if (opened !== checkText) {
    throw new Error('HERALD_ENCRYPTION_KEY does not match the key this database was set up with: endpoint secrets could not be read');
  }
  return box;
}
