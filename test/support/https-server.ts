/**
 * A loopback https server with a throw-away self-signed certificate (made with openssl for
 * 127.0.0.1 when first needed), for tests of code that speaks https only. Test support only.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';

let material: { key: string; cert: string } | undefined;

/** The key and certificate (PEM), generated once per process. */
export function selfSignedCertificate(): { key: string; cert: string } {
  if (material) return material;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'https-test-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    material = { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
    return material;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface HttpsTestServer {
  readonly url: string;
  /** The certificate, for clients that must trust it. */
  readonly cert: string;
  close(): Promise<void>;
}

export async function startHttpsServer(listener: Parameters<typeof https.createServer>[1]): Promise<HttpsTestServer> {
  const { key, cert } = selfSignedCertificate();
  const server = https.createServer({ key, cert }, listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cert,
    close: () => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
  };
}

/** Makes this process's default https agent trust `cert` (for code that uses https.request without an agent). */
export function trustInThisProcess(cert: string): () => void {
  const options = https.globalAgent.options as { ca?: unknown };
  const before = options.ca;
  options.ca = cert;
  return () => { options.ca = before; };
}
