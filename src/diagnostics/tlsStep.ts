// TLS for one endpoint: handshake time, certificate subject and expiry, and what a verification error means.

import * as net from 'node:net';
import * as tls from 'node:tls';
import { errorCode, humanMs, since, Verdict } from './check';
import { Evidence } from './types';

export interface TlsOptions {
  /** Trusts extra CAs on top of Node's roots (see trustingExtraCas); undefined = Node's defaults. */
  secureContext?: tls.SecureContext;
  env: NodeJS.ProcessEnv;
}

const EXPIRING_WARN_MS = 14 * 24 * 3_600_000;

const UNTRUSTED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE']);
const MISMATCH = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);

type Handshake = { socket: tls.TLSSocket } | { code: string };

/**
 * A context trusting Node's roots plus extra CAs, built once per run: an explicit `ca` replaces the
 * roots, and parsing them all costs enough CPU to stall other probes if done per connection.
 */
export function trustingExtraCas(ca: string | Buffer | Array<string | Buffer> | undefined): tls.SecureContext | undefined {
  if (ca === undefined) return undefined;
  return tls.createSecureContext({ ca: [...tls.rootCertificates, ...(Array.isArray(ca) ? ca : [ca])] });
}

function handshake(socket: net.Socket, hostname: string, budgetMs: number, secureContext: tls.SecureContext | undefined): Promise<Handshake> {
  return new Promise((resolve) => {
    const servername = net.isIP(hostname) ? undefined : hostname;
    // Verification is judged below from authorizationError, so the certificate can still be shown.
    const secure = tls.connect({ socket, servername, host: hostname, secureContext, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const done = (h: Handshake) => {
      clearTimeout(timer);
      secure.removeAllListeners('secureConnect');
      secure.on('error', () => undefined);
      if (!('socket' in h)) secure.destroy();
      resolve(h);
    };
    const timer = setTimeout(() => done({ code: 'TIMEOUT' }), budgetMs);
    secure.once('secureConnect', () => done({ socket: secure }));
    secure.once('error', (err) => done({ code: errorCode(err) ?? 'ERROR' }));
  });
}

function certEvidence(s: tls.TLSSocket, ms: number): Evidence {
  const cert = s.getPeerCertificate();
  return {
    handshakeMs: ms,
    protocol: s.getProtocol(),
    subject: cert?.subject?.CN ?? null,
    issuer: cert?.issuer?.CN ?? cert?.issuer?.O ?? null,
    validFrom: cert?.valid_from ? new Date(cert.valid_from).toISOString() : null,
    validTo: cert?.valid_to ? new Date(cert.valid_to).toISOString() : null,
  };
}

function untrustedFix(env: NodeJS.ProcessEnv): string {
  const extra = env.NODE_EXTRA_CA_CERTS ? ` NODE_EXTRA_CA_CERTS is set (${env.NODE_EXTRA_CA_CERTS}) but does not hold the issuing CA.` : '';
  return `A corporate proxy that inspects TLS, or a relay with its own CA, signed this certificate. Export NODE_EXTRA_CA_CERTS=/path/to/ca.pem before starting VS Code or \`switchyard serve\`, or route through the corporate proxy with the http.proxy setting.${extra} Switchyard's own HTTP client does not use VS Code's certificate patching.`;
}

function judgeCertificate(s: tls.TLSSocket, hostname: string, ms: number, env: NodeJS.ProcessEnv): Verdict {
  const evidence = certEvidence(s, ms);
  const error = s.authorized ? undefined : String(s.authorizationError ?? 'UNKNOWN');
  if (error) evidence.verifyError = error;
  if (error && UNTRUSTED.has(error)) {
    return { status: 'fail', cause: 'TLS_UNTRUSTED_CERT', summary: `the certificate of ${hostname} is not trusted (${error}; issuer ${evidence.issuer ?? 'unknown'})`, evidence, fix: untrustedFix(env) };
  }
  if (error === 'CERT_HAS_EXPIRED') {
    return { status: 'fail', cause: 'TLS_CERT_EXPIRED', summary: `the certificate of ${hostname} expired on ${evidence.validTo}`, evidence, fix: 'The server must renew its certificate; if the date looks wrong, check this machine\'s clock.' };
  }
  if (error && MISMATCH.has(error)) {
    return { status: 'fail', cause: 'TLS_HOSTNAME_MISMATCH', summary: `the certificate is for ${evidence.subject ?? 'another name'}, not ${hostname}`, evidence, fix: 'Use the host name the certificate was issued for in the base URL; an intercepting proxy can also cause this.' };
  }
  if (error) {
    return { status: 'fail', cause: 'UPSTREAM_TLS', formerly: 'TLS_HANDSHAKE_FAILED', summary: `the certificate of ${hostname} was rejected (${error})`, evidence, fix: 'Check this machine\'s clock and the server\'s certificate chain.' };
  }
  const left = evidence.validTo ? Date.parse(String(evidence.validTo)) - Date.now() : Infinity;
  if (left < EXPIRING_WARN_MS) {
    return { status: 'warn', cause: 'TLS_CERT_EXPIRING', summary: `the certificate of ${hostname} expires in ${humanMs(left)} (${evidence.validTo})`, evidence, fix: 'Tell the relay\'s operator; requests will fail once it expires.' };
  }
  return { status: 'ok', cause: 'OK', summary: `TLS handshake in ${ms} ms; certificate for ${evidence.subject} valid until ${evidence.validTo}`, evidence };
}

function handshakeFailure(code: string, hostname: string, budgetMs: number, ms: number): Verdict {
  const evidence = { host: hostname, error: code, ms };
  if (code === 'TIMEOUT') {
    return { status: 'fail', cause: 'TLS_HANDSHAKE_TIMEOUT', summary: `the TLS handshake with ${hostname} did not finish within ${humanMs(budgetMs)}`, evidence, fix: 'Something accepts the connection but does not speak TLS back: a firewall or proxy swallowing it, or a server that is stuck. Try the http.proxy setting if you are behind a corporate proxy.' };
  }
  const plain = code === 'EPROTO' || code.startsWith('ERR_SSL') ? ' — the port may serve plain HTTP (use http://) or another protocol' : '';
  return { status: 'fail', cause: 'UPSTREAM_TLS', formerly: 'TLS_HANDSHAKE_FAILED', summary: `the TLS handshake with ${hostname} failed (${code})${plain}`, evidence, fix: 'Check the scheme and port of the base URL; a reset during the handshake usually means a middlebox refused it.' };
}

/** Runs a TLS handshake over an already connected socket; always leaves the sockets destroyed. */
export async function checkTls(socket: net.Socket, hostname: string, budgetMs: number, options: TlsOptions): Promise<{ verdict: Verdict; ms: number }> {
  const started = performance.now();
  const h = await handshake(socket, hostname, budgetMs, options.secureContext);
  const ms = since(started);
  if (!('socket' in h)) {
    socket.destroy();
    return { verdict: handshakeFailure(h.code, hostname, budgetMs, ms), ms };
  }
  const verdict = judgeCertificate(h.socket, hostname, ms, options.env);
  // Destroying the TLS socket closes the TCP one under it; destroying that first crashes Node 20.
  h.socket.destroy();
  return { verdict, ms };
}
