//! TLS on rustls with the ring provider, with a connection string's TLS parameters read as node-postgres
//! 8 reads them (PostgresSaver's driver: the same string is never weaker here), see `resolve`. Modes:
//! `Disable`; `Prefer` (nothing said: encrypt when the server offers TLS, unchecked); `Require`
//! (encrypted, unchecked); `VerifyCa` (the chain); `VerifyFull` (the chain and the host name). Roots:
//! the `sslrootcert` file, else (or with `sslrootcert=system`) the Mozilla roots compiled in
//! (webpki-roots). `sslcert`/`sslkey` name the PEM files of a client certificate and its key, sent when
//! the server asks for one.
//!
//! Settings given as PEM text (the store's `tls` option, which node-postgres-style `ssl` objects map
//! onto) replace those of the connection string: TLS is then required, never a plaintext fallback.

use std::io::BufReader;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::anchors::{issuer_refusal, AnchoredVerifier, Anchors};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Certificates or a key: a file named in the connection string, or PEM text given directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pem {
    File(String),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: Mode,
    /// `sslrootcert`: a file, or "system" (the compiled-in Mozilla roots).
    pub root_cert: Option<String>,
    /// CA certificates as PEM text; replaces `root_cert`.
    pub root_pem: Option<String>,
    pub client_cert: Option<Pem>,
    pub client_key: Option<Pem>,
}

/// TLS settings given apart from the connection string: PEM text, and what is checked.
#[derive(Debug, Clone, Default)]
pub struct ExplicitTls {
    /// CA certificates to trust (PEM); none: the compiled-in Mozilla roots.
    pub ca: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    /// "full" (default: chain and host name), "chain", or "none" (encrypted, certificate unchecked).
    pub verify: Option<String>,
}

impl ExplicitTls {
    pub fn settings(self) -> Result<TlsSettings, String> {
        let mode = match self.verify.as_deref().unwrap_or("full") {
            "full" => Mode::VerifyFull,
            "chain" => Mode::VerifyCa,
            "none" => Mode::Require,
            other => return Err(format!("tls.verify must be \"full\", \"chain\" or \"none\", got {other:?}")),
        };
        // With nothing checked, no root is consulted (a CA given with verify "none" must not turn
        // `require` into libpq's chain check).
        let root_pem = if mode == Mode::Require { None } else { self.ca };
        Ok(TlsSettings {
            mode,
            root_cert: None,
            root_pem,
            client_cert: self.cert.map(Pem::Text),
            client_key: self.key.map(Pem::Text),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Nothing,
    Chain,
    ChainAndHost,
}

impl TlsSettings {
    /// What tokio-postgres is told: whether TLS may, must or must not be used.
    pub fn ssl_mode(&self) -> SslMode {
        match self.mode {
            Mode::Disable => SslMode::Disable,
            Mode::Prefer => SslMode::Prefer,
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
        }
    }

    fn check(&self) -> Check {
        match self.mode {
            Mode::VerifyFull => Check::ChainAndHost,
            Mode::VerifyCa => Check::Chain,
            _ => Check::Nothing,
        }
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `key=value` pairs of a libpq keyword/value string: each key, its unquoted value, and the pair's text.
fn keyword_pairs(conn: &str) -> Result<Vec<(String, String, String)>, String> {
    let chars: Vec<char> = conn.chars().collect();
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i == chars.len() {
            break;
        }
        let start = i;
        while i < chars.len() && chars[i] != '=' && !chars[i].is_whitespace() {
            i += 1;
        }
        let key: String = chars[start..i].iter().collect();
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i == chars.len() || chars[i] != '=' {
            return Err(format!("unreadable connection string: {key:?} has no value"));
        }
        i += 1;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < chars.len() && chars[i] == '\'' {
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(format!("unreadable connection string: the value of {key:?} has no closing quote")),
                    Some('\'') => break,
                    Some('\\') if i + 1 < chars.len() => {
                        value.push(chars[i + 1]);
                        i += 2;
                    }
                    Some(c) => {
                        value.push(*c);
                        i += 1;
                    }
                }
            }
            i += 1;
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                value.push(chars[i]);
                i += 1;
            }
        }
        pairs.push((key, value, chars[start..i].iter().collect()));
    }
    Ok(pairs)
}

/// The TLS parameters of a connection string, as written.
#[derive(Default)]
struct Raw {
    sslmode: Option<String>,
    root_cert: Option<String>,
    cert: Option<String>,
    key: Option<String>,
    ssl: Option<String>,
    libpq_compat: Option<String>,
}

const MODES: &[&str] = &["disable", "allow", "prefer", "require", "verify-ca", "verify-full", "no-verify"];

/// node-postgres 8's reading (pg-connection-string 2, ConnectionParameters), so that a connection string
/// means here what it means to PostgresSaver: any `sslmode` but `disable`/`no-verify`, or `sslrootcert`,
/// `sslcert`, `sslkey` alone, requires TLS and verifies the chain and the host; `uselibpqcompat=true`
/// gives libpq's meanings (except that `prefer` never falls back to plaintext, as in pg); `ssl=true|1`
/// verifies; PGSSLMODE is read when the string says nothing. With nothing at all: `prefer` (pg would
/// not encrypt; libpq's default, encrypting when the server offers it, is not weaker).
fn resolve(raw: Raw, env_sslmode: Option<&str>) -> Result<TlsSettings, String> {
    if let Some(mode) = raw.sslmode.as_deref() {
        if !MODES.contains(&mode) {
            return Err(format!("sslmode {mode:?} is not one of {}", MODES.join(", ")));
        }
    }
    let compat = raw.libpq_compat.as_deref() == Some("true");
    let has_root = raw.root_cert.is_some();
    let mode = if raw.sslmode.is_some() || has_root || raw.cert.is_some() || raw.key.is_some() {
        match (compat, raw.sslmode.as_deref()) {
            (_, Some("disable")) => Mode::Disable,
            (false, Some("no-verify")) => Mode::Require,
            (false, _) => Mode::VerifyFull,
            (true, Some("prefer")) => Mode::Require,
            (true, Some("require")) if has_root => Mode::VerifyCa,
            (true, Some("require")) => Mode::Require,
            (true, Some("verify-ca")) if has_root => Mode::VerifyCa,
            (true, Some("verify-ca")) => {
                return Err("sslmode=verify-ca with uselibpqcompat=true needs a CA (sslrootcert): a public CA would let anyone it certified pose as the server; use sslmode=verify-full".into())
            }
            (true, _) => Mode::VerifyFull,
        }
    } else if let Some(ssl) = raw.ssl.as_deref() {
        match ssl {
            "0" => Mode::Disable,
            "no-verify" => Mode::Require,
            _ => Mode::VerifyFull,
        }
    } else {
        match env_sslmode {
            Some("disable") => Mode::Disable,
            Some("prefer" | "require" | "verify-ca" | "verify-full") => Mode::VerifyFull,
            Some("no-verify") => Mode::Require,
            _ => Mode::Prefer,
        }
    };
    Ok(TlsSettings {
        mode,
        root_cert: raw.root_cert,
        root_pem: None,
        client_cert: raw.cert.map(Pem::File),
        client_key: raw.key.map(Pem::File),
    })
}

/// Takes the TLS parameters (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`, `ssl`, `uselibpqcompat`)
/// out of a connection string (a URL's query or keyword/value pairs), read as node-postgres reads them
/// (see `resolve`; `env_sslmode` is PGSSLMODE), and returns the rest for tokio-postgres.
pub fn take_tls_params(conn: &str, env_sslmode: Option<&str>) -> Result<(String, TlsSettings), String> {
    let mut raw = Raw::default();
    let mut take = |key: &str, value: String| -> bool {
        let slot = match key {
            "sslmode" => &mut raw.sslmode,
            "sslrootcert" => &mut raw.root_cert,
            "sslcert" => &mut raw.cert,
            "sslkey" => &mut raw.key,
            "ssl" => &mut raw.ssl,
            "uselibpqcompat" => &mut raw.libpq_compat,
            _ => return false,
        };
        *slot = Some(value);
        true
    };
    let rest = if conn.starts_with("postgres://") || conn.starts_with("postgresql://") {
        match conn.split_once('?') {
            None => conn.to_string(),
            Some((base, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    if !take(&percent_decode(key), percent_decode(value)) {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
        }
    } else {
        let mut kept = Vec::new();
        for (key, value, text) in keyword_pairs(conn)? {
            if !take(&key, value) {
                kept.push(text);
            }
        }
        kept.join(" ")
    };
    Ok((rest, resolve(raw, env_sslmode)?))
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings { mode: Mode::Prefer, root_cert: None, root_pem: None, client_cert: None, client_key: None }
    }
}

fn pem_certs(pem: &Pem, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = match pem {
        Pem::File(path) => {
            let file = std::fs::File::open(path).map_err(|e| format!("{what} file {path:?} cannot be read: {e}"))?;
            rustls_pemfile::certs(&mut BufReader::new(file))
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{what} file {path:?} is not PEM: {e}"))?
        }
        Pem::Text(text) => rustls_pemfile::certs(&mut text.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{what} is not PEM: {e}"))?,
    };
    if certs.is_empty() {
        return Err(match pem {
            Pem::File(path) => format!("{what} file {path:?} holds no certificate"),
            Pem::Text(_) => format!("{what} holds no PEM certificate"),
        });
    }
    Ok(certs)
}

fn pem_key(pem: &Pem) -> Result<PrivateKeyDer<'static>, String> {
    let found = match pem {
        Pem::File(path) => {
            let file = std::fs::File::open(path).map_err(|e| format!("sslkey file {path:?} cannot be read: {e}"))?;
            rustls_pemfile::private_key(&mut BufReader::new(file)).map_err(|e| format!("sslkey file {path:?} is not PEM: {e}"))?
        }
        Pem::Text(text) => rustls_pemfile::private_key(&mut text.as_bytes()).map_err(|e| format!("tls.key is not PEM: {e}"))?,
    };
    found.ok_or_else(|| match pem {
        Pem::File(path) => format!("sslkey file {path:?} holds no unencrypted private key (PKCS#1, PKCS#8 or SEC1)"),
        Pem::Text(_) => "tls.key holds no unencrypted private key (PKCS#1, PKCS#8 or SEC1)".into(),
    })
}

/// The roots to verify against: the compiled-in Mozilla roots, or certificates given, which are taken as
/// OpenSSL takes them for node-postgres (see `anchors`).
enum Roots {
    System(RootCertStore),
    Given(Anchors),
}

fn roots(settings: &TlsSettings) -> Result<Roots, String> {
    if let Some(text) = &settings.root_pem {
        let certs = pem_certs(&Pem::Text(text.clone()), "tls.ca")?;
        return Ok(Roots::Given(Anchors::new("tls.ca".into(), certs)?));
    }
    match settings.root_cert.as_deref() {
        None | Some("system") => {
            let mut store = RootCertStore::empty();
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            Ok(Roots::System(store))
        }
        Some(path) => {
            let certs = pem_certs(&Pem::File(path.to_string()), "sslrootcert")?;
            Ok(Roots::Given(Anchors::new(format!("sslrootcert file {path:?}"), certs)?))
        }
    }
}

/// The connector for `settings`, or None when TLS is off.
pub fn connector(settings: &TlsSettings) -> Result<Option<MakeRustlsConnect>, String> {
    if settings.mode == Mode::Disable {
        return Ok(None);
    }
    let provider = Arc::new(ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match settings.check() {
        Check::Nothing => Arc::new(AnyCertificate(provider.clone())),
        check => {
            let chain_provider = provider.clone();
            let make = move |roots: Arc<RootCertStore>| -> Result<Arc<dyn ServerCertVerifier>, String> {
                let webpki = WebPkiServerVerifier::builder_with_provider(roots, chain_provider.clone())
                    .build()
                    .map_err(|e| format!("cannot check server certificates: {e}"))?;
                Ok(if check == Check::Chain { Arc::new(ChainOnly(webpki)) } else { webpki })
            };
            let inner: Arc<dyn ServerCertVerifier> = match roots(settings)? {
                Roots::System(store) => make(Arc::new(store))?,
                Roots::Given(anchors) => {
                    anchors.check_usable(UnixTime::now().as_secs())?;
                    Arc::new(AnchoredVerifier::new(anchors, Box::new(make), provider.clone()))
                }
            };
            Arc::new(ServerKeyUsage(inner))
        }
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match (&settings.client_cert, &settings.client_key) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let what = if matches!(cert, Pem::File(_)) { "sslcert" } else { "tls.cert" };
            builder
                .with_client_auth_cert(pem_certs(cert, what)?, pem_key(key)?)
                .map_err(|e| format!("the client certificate and key do not fit together: {e}"))?
        }
        (Some(_), None) => return Err("a client certificate (sslcert) is given without its key (sslkey)".into()),
        (None, Some(_)) => return Err("a client key (sslkey) is given without its certificate (sslcert)".into()),
    };
    Ok(Some(MakeRustlsConnect::new(config)))
}

/// `prefer`/`require`: the connection is encrypted and the handshake signed by the certificate's key,
/// but whose certificate it is goes unchecked (libpq's meaning of these modes).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The keyUsage bits OpenSSL's "ssl_server" purpose accepts (digitalSignature, keyEncipherment,
/// keyAgreement), in the first byte of the extension's BIT STRING.
const TLS_KEY_USAGE: u8 = 0x80 | 0x20 | 0x08;

/// Reads one DER length at `at`: (length, bytes it took).
fn der_length(der: &[u8], at: usize) -> Option<(usize, usize)> {
    let first = *der.get(at)?;
    if first < 0x80 {
        return Some((first as usize, 1));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | *der.get(at + 1 + i)? as usize;
    }
    Some((len, 1 + n))
}

/// Whether a certificate with a keyUsage extension allows none of the TLS server uses. Certificates
/// without the extension (or unreadable here) are left to webpki, which has already accepted them.
fn key_usage_refuses_tls_server(der: &[u8]) -> bool {
    // extnID 2.5.29.15, then an optional `critical` BOOLEAN, then the OCTET STRING holding a BIT STRING.
    const OID: [u8; 5] = [0x06, 0x03, 0x55, 0x1d, 0x0f];
    let Some(start) = der.windows(OID.len()).position(|w| w == OID) else { return false };
    let mut at = start + OID.len();
    if der.get(at) == Some(&0x01) {
        at += 3;
    }
    if der.get(at) != Some(&0x04) {
        return false;
    }
    let Some((_, took)) = der_length(der, at + 1) else { return false };
    at += 1 + took;
    if der.get(at) != Some(&0x03) {
        return false;
    }
    let Some((len, took)) = der_length(der, at + 1) else { return false };
    at += 1 + took;
    // BIT STRING: the count of unused bits, then the bits; no bytes means no usage at all.
    let first = if len >= 2 { der.get(at + 1).copied().unwrap_or(0) } else { 0 };
    first & TLS_KEY_USAGE == 0
}

/// What OpenSSL checks beyond webpki for a TLS server (node-postgres and libpq verify with OpenSSL):
/// a keyUsage extension must allow a TLS server's use of the key, and the intermediates the server
/// sends must allow certificate signing (see `anchors::issuer_refusal`).
#[derive(Debug)]
struct ServerKeyUsage(Arc<dyn ServerCertVerifier>);

impl ServerCertVerifier for ServerKeyUsage {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let verified = self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)?;
        if key_usage_refuses_tls_server(end_entity.as_ref()) {
            return Err(TlsError::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(
                std::io::Error::other(
                    "the server certificate's keyUsage allows no TLS server use (OpenSSL's ssl_server purpose)",
                ),
            )))));
        }
        if let Some(why) = issuer_refusal(end_entity.as_ref(), intermediates) {
            return Err(TlsError::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(
                std::io::Error::other(why),
            )))));
        }
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the name in the certificate may differ from the host.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(TlsError::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parameters_are_taken_out_and_the_rest_kept() {
        let (rest, s) =
            take_tls_params("postgresql://u:p@h:5/d?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem", None)
                .unwrap();
        assert_eq!(rest, "postgresql://u:p@h:5/d?application_name=x");
        assert_eq!(s, TlsSettings { mode: Mode::VerifyFull, root_cert: Some("/etc/ca.pem".into()), ..Default::default() });
        let (rest, _) = take_tls_params("postgresql://u@h/d?sslmode=require&ssl=true&uselibpqcompat=true", None).unwrap();
        assert_eq!(rest, "postgresql://u@h/d");
        assert_eq!(take_tls_params("postgresql://u@h/d", None).unwrap().1.mode, Mode::Prefer);
    }

    #[test]
    fn keyword_pairs_are_taken_out_and_the_rest_kept_verbatim() {
        let (rest, s) =
            take_tls_params(r"host=db password='it\'s' sslmode = verify-ca  sslrootcert='/a b/ca.pem' dbname=x", None).unwrap();
        assert_eq!(rest, r"host=db password='it\'s' dbname=x");
        assert_eq!(s, TlsSettings { mode: Mode::VerifyFull, root_cert: Some("/a b/ca.pem".into()), ..Default::default() });
        assert!(take_tls_params("host=db password='open", None).unwrap_err().contains("no closing quote"));
    }

    #[test]
    fn modes_are_read_as_node_postgres_reads_them() {
        let mode =
            |query: &str, env: Option<&str>| take_tls_params(&format!("postgresql://u@h/d?{query}"), env).map(|r| r.1.mode);
        // pg 8: every sslmode but disable and no-verify, and the certificate parameters alone, verify fully.
        for query in [
            "sslmode=prefer",
            "sslmode=require",
            "sslmode=verify-ca",
            "sslmode=allow",
            "sslrootcert=ca.pem",
            "sslcert=c&sslkey=k",
        ] {
            assert_eq!(mode(query, None), Ok(Mode::VerifyFull), "{query}");
        }
        assert_eq!(mode("sslmode=disable&sslrootcert=ca.pem", None), Ok(Mode::Disable));
        assert_eq!(mode("sslmode=no-verify", None), Ok(Mode::Require));
        // uselibpqcompat=true: libpq's meanings, prefer without a plaintext fallback.
        assert_eq!(mode("uselibpqcompat=true&sslmode=prefer", None), Ok(Mode::Require));
        assert_eq!(mode("uselibpqcompat=true&sslmode=require", None), Ok(Mode::Require));
        assert_eq!(mode("uselibpqcompat=true&sslmode=require&sslrootcert=ca.pem", None), Ok(Mode::VerifyCa));
        assert_eq!(mode("uselibpqcompat=true&sslmode=verify-ca&sslrootcert=ca.pem", None), Ok(Mode::VerifyCa));
        assert!(mode("uselibpqcompat=true&sslmode=verify-ca", None).unwrap_err().contains("needs a CA"));
        // ssl=, then PGSSLMODE, when nothing else is said.
        assert_eq!(mode("ssl=true", None), Ok(Mode::VerifyFull));
        assert_eq!(mode("ssl=0", Some("require")), Ok(Mode::Disable));
        assert_eq!(mode("ssl=no-verify", None), Ok(Mode::Require));
        assert_eq!(mode("application_name=x", Some("require")), Ok(Mode::VerifyFull));
        assert_eq!(mode("application_name=x", Some("no-verify")), Ok(Mode::Require));
        assert_eq!(mode("sslmode=no-verify", Some("verify-full")), Ok(Mode::Require));
        assert!(mode("sslmode=strict", None).unwrap_err().contains("not one of"));
        let with =
            |mode, root: Option<&str>| TlsSettings { mode, root_cert: root.map(String::from), ..Default::default() }.check();
        assert_eq!(with(Mode::Require, Some("/ca.pem")), Check::Nothing);
        assert_eq!(with(Mode::VerifyCa, None), Check::Chain);
        assert_eq!(with(Mode::VerifyFull, None), Check::ChainAndHost);
    }

    #[test]
    fn an_unreadable_root_file_is_named() {
        let settings =
            TlsSettings { mode: Mode::VerifyFull, root_cert: Some("/nonexistent/ca.pem".into()), ..Default::default() };
        let Err(message) = connector(&settings) else { panic!("an unreadable root file was accepted") };
        assert!(message.contains("sslrootcert file \"/nonexistent/ca.pem\" cannot be read"), "{message}");
        assert!(connector(&TlsSettings { mode: Mode::Disable, ..Default::default() }).unwrap().is_none());
    }

    /// A certificate made by openssl with `extensions`, as DER (None when openssl is not installed).
    fn openssl_cert(extensions: &str) -> Option<Vec<u8>> {
        let dir = std::env::temp_dir().join(format!("flg-ku-{}-{}", std::process::id(), extensions.len()));
        std::fs::create_dir_all(&dir).ok()?;
        let cnf = dir.join("ext.cnf");
        std::fs::write(&cnf, format!("[req]\ndistinguished_name=dn\n[dn]\n[ext]\n{extensions}\n")).ok()?;
        let status = std::process::Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-outform", "DER"])
            .args([
                "-config",
                cnf.to_str()?,
                "-extensions",
                "ext",
                "-keyout",
                dir.join("k.pem").to_str()?,
                "-out",
                dir.join("c.der").to_str()?,
            ])
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        let der = if status.success() { std::fs::read(dir.join("c.der")).ok() } else { None };
        let _ = std::fs::remove_dir_all(&dir);
        der
    }

    #[test]
    fn a_key_usage_without_tls_server_use_is_refused_as_openssl_does() {
        let Some(signing_only) = openssl_cert("keyUsage=critical,keyCertSign,cRLSign") else { return };
        assert!(key_usage_refuses_tls_server(&signing_only));
        for fine in ["keyUsage=digitalSignature,keyEncipherment", "keyUsage=keyAgreement", "subjectAltName=DNS:localhost"] {
            let der = openssl_cert(fine).unwrap();
            assert!(!key_usage_refuses_tls_server(&der), "{fine}");
        }
    }

    #[test]
    fn client_certificate_files_are_taken_out_and_must_come_in_pairs() {
        let (rest, s) = take_tls_params("postgresql://u@h/d?sslcert=%2Fc.pem&sslkey=%2Fk.pem&sslmode=require", None).unwrap();
        assert_eq!(rest, "postgresql://u@h/d");
        assert_eq!(s.client_cert, Some(Pem::File("/c.pem".into())));
        assert_eq!(s.client_key, Some(Pem::File("/k.pem".into())));
        let lone = TlsSettings { mode: Mode::Require, client_cert: Some(Pem::File("/c.pem".into())), ..Default::default() };
        let Err(message) = connector(&lone) else { panic!("a certificate without its key was accepted") };
        assert!(message.contains("without its key"), "{message}");
    }

    #[test]
    fn explicit_settings_require_tls_and_verify_none_ignores_the_ca() {
        let full = ExplicitTls { ca: Some("pem".into()), ..Default::default() }.settings().unwrap();
        assert_eq!((full.mode, full.check()), (Mode::VerifyFull, Check::ChainAndHost));
        assert_eq!(full.ssl_mode(), SslMode::Require);
        let chain = ExplicitTls { verify: Some("chain".into()), ..Default::default() }.settings().unwrap();
        assert_eq!(chain.check(), Check::Chain);
        let none = ExplicitTls { ca: Some("pem".into()), verify: Some("none".into()), ..Default::default() }.settings().unwrap();
        assert_eq!((none.check(), none.ssl_mode(), none.root_pem), (Check::Nothing, SslMode::Require, None));
        assert!(ExplicitTls { verify: Some("strict".into()), ..Default::default() }
            .settings()
            .unwrap_err()
            .contains("tls.verify"));
        let bad = ExplicitTls { ca: Some("not pem".into()), ..Default::default() }.settings().unwrap();
        assert!(connector(&bad).err().unwrap().contains("tls.ca holds no PEM certificate"));
    }
}
