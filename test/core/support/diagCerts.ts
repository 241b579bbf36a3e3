// Throwaway self-signed certificates for 127.0.0.1, made with the machine's openssl, for the diagnostics TLS checks.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestCert {
  key: string;
  cert: string;
}

/** A self-signed EC certificate valid for 127.0.0.1 and localhost (usable as its own CA). */
export function selfSignedLoopbackCert(commonName: string): TestCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-diag-tls-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=${commonName}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      { stdio: 'ignore' },
    );
    return { key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(cert, 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
