// A throwaway certificate authority for HTTPS tests, made at test time with the `openssl` command:
// a CA and a leaf certificate for 127.0.0.1, ::1 and localhost signed by it. Nothing is trusted
// unless a test passes `caFile` to the sender, so the same receiver also tests the untrusted case.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCa {
  /** Path of the CA certificate (PEM), to pass as SenderOptions.caFile. */
  caFile: string;
  caPem: string;
  /** The leaf's key and certificate, for createReceiver({ https: { key, cert } }). */
  key: string;
  cert: string;
  /** Removes the temporary directory. */
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args[0]} failed (is the openssl command installed?): ${stderr || String(error)}`);
  }
}

export function createTestCa(): TestCa {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-test-ca-'));
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, ['req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Herald Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(dir, ['req', ...key, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost']);
  writeFileSync(
    path.join(dir, 'leaf.ext'),
    'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl(dir, ['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '2', '-extfile', 'leaf.ext']);
  const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
  return {
    caFile: path.join(dir, 'ca.pem'),
    caPem: read('ca.pem'),
    key: read('leaf.key'),
    cert: read('leaf.pem'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
