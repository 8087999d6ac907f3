import { X509Certificate, constants as cryptoConstants } from "node:crypto";
import tls from "node:tls";

import type { RustPostgresSaverOptions } from "../savers/rust-postgres-saver";

/**
 * The TLS a node-postgres client applies, as the Rust client's settings, or why they cannot be the same.
 *
 * Read from the client node-postgres itself builds for the pool (`new pool.Client(pool.options)`: its
 * `connectionParameters` after pg's own parsing of the connection string, `ssl` objects and PGSSLMODE),
 * so the installed pg version decides, not a copy of its rules. In pg 8 every `sslmode` but `disable`
 * (and `no-verify`) verifies the chain and the host name; `uselibpqcompat=true` gives libpq's meanings.
 * Translated: no TLS; `rejectUnauthorized: false` (encrypted, unchecked); the chain and host checked
 * against `ca` (only self-signed roots: Node 20 does not take an intermediate as a trust anchor) or
 * against Node's bundled roots (`tls.rootCertificates`, when neither NODE_EXTRA_CA_CERTS nor
 * --use-openssl-ca/--use-system-ca changes them); the chain only (libpq-compatible `verify-ca`, or
 * `require` with `sslrootcert`); a client certificate and unencrypted key. Everything else keeps
 * PostgresSaver's own code: any other `ssl` field (servername, passphrase, pfx, minVersion, ciphers,
 * crl...), a `checkServerIdentity` of the application's, `sslnegotiation=direct`, TLS over a Unix
 * socket, a changed `tls.DEFAULT_MIN_VERSION`/`DEFAULT_CIPHERS` (and, see pg-connection.ts, a pool
 * `stream` factory, a password callback, `query_timeout`, several hosts).
 *
 * The Rust client verifies with webpki, node-postgres with OpenSSL. webpki is stricter in places (no
 * common-name fallback, no partial-label wildcards, no SHA-1 signatures): the first setup then fails
 * and the instance keeps its own code. What OpenSSL checks and webpki does not, the Rust client adds:
 * a server certificate's keyUsage must allow a TLS server's use (OpenSSL's ssl_server purpose). Not
 * reproduced: the legacy Netscape nsCertType extension, which OpenSSL also consults.
 */
export type TlsTranslation = { tls: RustPostgresSaverOptions["tls"] | "disable" } | { reason: string };

/** The parts of pg's ConnectionParameters this reads. */
export interface PgConnectionParameters {
  host?: string;
  port?: number;
  user?: string;
  password?: unknown;
  database?: string;
  application_name?: string;
  fallback_application_name?: string;
  options?: string;
  statement_timeout?: unknown;
  lock_timeout?: unknown;
  idle_in_transaction_session_timeout?: unknown;
  query_timeout?: unknown;
  replication?: unknown;
  ssl?: unknown;
  sslnegotiation?: string;
}

const TRANSLATED = new Set(["ca", "cert", "key", "rejectUnauthorized", "checkServerIdentity"]);

function pemText(value: unknown, field: string): string | { reason: string } {
  const parts = Array.isArray(value) ? value : [value];
  const texts: string[] = [];
  for (const part of parts) {
    if (typeof part === "string") texts.push(part);
    else if (Buffer.isBuffer(part)) texts.push(part.toString("utf8"));
    else return { reason: `its ssl.${field} is neither a string nor a Buffer` };
  }
  return texts.join("\n");
}

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

/**
 * Whether every certificate in `pem` is a self-signed root Node 20 (OpenSSL) takes as a trust anchor for
 * a TLS server: a CA, within its validity dates, and, when it restricts extended key usage, allowing
 * server authentication. webpki, which the Rust client verifies with, checks none of these on an
 * anchor, so any other anchor keeps the saver on node-postgres.
 */
function onlyAcceptedSelfSignedRoots(pem: string, now = Date.now()): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return false;
  return blocks.every((block) => {
    try {
      const cert = new X509Certificate(block);
      if (!(cert.ca && cert.issuer === cert.subject && cert.verify(cert.publicKey))) return false;
      if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) return false;
      const eku = cert.keyUsage;
      // OpenSSL's ssl_server purpose: anyExtendedKeyUsage alone does not allow it (tls-anchors.test.ts).
      return eku === undefined || eku.includes(SERVER_AUTH);
    } catch {
      return false;
    }
  });
}

/** Node's default trust store when `ca` is absent, if it is exactly `tls.rootCertificates`. */
function nodeDefaultRoots(env: NodeJS.ProcessEnv, execArgv: string[]): string | { reason: string } {
  if (env.NODE_EXTRA_CA_CERTS) return { reason: "it verifies against Node's roots plus NODE_EXTRA_CA_CERTS" };
  const flags = [...execArgv, ...(env.NODE_OPTIONS ?? "").split(/\s+/)];
  const changed = flags.find((f) => /^--use-(openssl|system)-ca\b/.test(f));
  if (changed) return { reason: `it verifies against the roots ${changed} selects` };
  return tls.rootCertificates.join("\n");
}

/**
 * Node's process-wide TLS defaults, when changed, restrict what node-postgres accepts: a minimum of
 * TLS 1.3, or another cipher list, would be weakened by the Rust client's TLS 1.2/1.3 suites.
 */
function changedTlsDefaults(): string | undefined {
  if (tls.DEFAULT_MIN_VERSION === "TLSv1.3") return "tls.DEFAULT_MIN_VERSION is TLSv1.3";
  if (tls.DEFAULT_CIPHERS !== cryptoConstants.defaultCipherList) return "tls.DEFAULT_CIPHERS is not Node's default list";
  return undefined;
}

export function tlsOfParameters(
  params: PgConnectionParameters,
  userSsl: unknown,
  env: NodeJS.ProcessEnv = process.env,
  execArgv: string[] = process.execArgv,
): TlsTranslation {
  const ssl = params.ssl;
  if (params.sslnegotiation !== undefined && params.sslnegotiation !== "postgres") {
    return { reason: `it negotiates TLS with sslnegotiation=${params.sslnegotiation}` };
  }
  if (!ssl) return { tls: "disable" };
  if (typeof params.host === "string" && params.host.startsWith("/")) return { reason: "it asks for TLS over a Unix socket" };
  const defaults = changedTlsDefaults();
  if (defaults) return { reason: `it connects with TLS while ${defaults}` };
  if (ssl !== true && (typeof ssl !== "object" || ssl === null)) {
    return { reason: `its ssl setting ${JSON.stringify(ssl)} is not translated` };
  }
  // What reaches tls.connect: pg copies the own enumerable fields (Object.assign), and `key`, which it
  // makes non-enumerable, by name. Inherited or hidden fields are not applied there, so not read here.
  const given = ssl === true ? {} : (ssl as Record<string, unknown>);
  const options: Record<string, unknown> = { ...given };
  if ("key" in given) options.key = given.key;
  for (const field of Object.keys(options)) {
    if (options[field] !== undefined && !TRANSLATED.has(field)) return { reason: `its ssl option "${field}" is not translated` };
  }
  const verifies = options.rejectUnauthorized !== false;
  let verify: "full" | "chain" | "none" = verifies ? "full" : "none";
  if (options.checkServerIdentity !== undefined) {
    // pg-connection-string's libpq modes verify-ca (and require with sslrootcert) pass an empty
    // function; one the application passed itself may check anything.
    const check = options.checkServerIdentity;
    const empty = typeof check === "function" && /^function\s*\(\s*\)\s*\{\s*\}$/.test(Function.prototype.toString.call(check));
    if (given === userSsl || !empty) return { reason: "its ssl.checkServerIdentity callback cannot run in the Rust client" };
    if (verifies) verify = "chain";
  }
  let ca: string | undefined;
  if (verify !== "none") {
    if (options.ca !== undefined) {
      const text = pemText(options.ca, "ca");
      if (typeof text !== "string") return text;
      if (!onlyAcceptedSelfSignedRoots(text)) {
        return {
          reason:
            "its ssl.ca holds a certificate other than a self-signed root CA within its validity dates allowing server authentication (the Rust client would not check it as Node does)",
        };
      }
      ca = text;
    } else {
      const roots = nodeDefaultRoots(env, execArgv);
      if (typeof roots !== "string") return roots;
      ca = roots;
    }
  }
  let cert: string | undefined;
  let key: string | undefined;
  if (options.cert !== undefined || options.key !== undefined) {
    if (Array.isArray(options.cert) || Array.isArray(options.key)) return { reason: "it offers several client certificates" };
    const certText = options.cert === undefined ? "" : pemText(options.cert, "cert");
    const keyText = options.key === undefined ? "" : pemText(options.key, "key");
    if (typeof certText !== "string") return certText;
    if (typeof keyText !== "string") return keyText;
    if (!certText || !keyText) return { reason: "it has a client certificate without its key, or a key without its certificate" };
    cert = certText;
    key = keyText;
  }
  return { tls: { ca, cert, key, verify } };
}
