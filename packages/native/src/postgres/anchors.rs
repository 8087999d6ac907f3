//! Trust anchors from a CA file or PEM text, taken as OpenSSL takes them for node-postgres (Node's TLS
//! client verifies with OpenSSL's "ssl_server" purpose): webpki, which does the chain check here, uses
//! any certificate as an anchor as given and checks neither its dates nor its extensions, so those
//! checks are made here, per handshake (the dates are those of the moment).
//!
//! What OpenSSL 3 does, and so this (each point checked against node-postgres in
//! `test/postgres-saver/tls-anchors.test.ts`):
//! - For a certificate's issuer it looks in the CA file for certificates with that subject name (and key
//!   identifier), and takes the first, in file order, within its validity dates; with none within them,
//!   the chain is refused (expired or not yet valid).
//! - The one taken must be a CA for TLS servers: keyUsage, when present, includes keyCertSign;
//!   basicConstraints, when present, says CA (without it, a keyUsage or a version 1 certificate will
//!   do); extendedKeyUsage, when present, includes serverAuth (or one of the server-gated-crypto
//!   purposes; anyExtendedKeyUsage alone is refused). Otherwise the chain is refused: OpenSSL does not
//!   try the next certificate of that name.
//! - Only a self-issued certificate (subject equal to issuer) ends a chain; another one taken from the
//!   file is used as an intermediate, whose own issuer must be found the same way.
//! - A certificate taken with an extension marked critical that OpenSSL does not handle (its
//!   `X509_supported_extension` list, `SUPPORTED_EXTENSIONS` here) is refused ("unhandled critical
//!   extension"). webpki already refuses those on the certificates the server sends (and more: it also
//!   refuses critical policy extensions OpenSSL handles).
//! - The root's pathLenConstraint bounds the CA certificates between the server's certificate and the
//!   root (self-issued intermediates not counted, as OpenSSL counts); webpki checks it only on
//!   intermediates, so it is checked here per handshake (`path_refusal`).

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme};
use x509_cert::der::oid::{AssociatedOid, ObjectIdentifier};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier};
use x509_cert::{Certificate, Version};

const SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
const NETSCAPE_SGC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.113730.4.1");
const MICROSOFT_SGC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.10.3.3");

/// The extensions OpenSSL 3 handles when marked critical (`X509_supported_extension` in
/// crypto/x509/v3_purp.c, with RFC 3779): any other critical extension makes it refuse the certificate.
const SUPPORTED_EXTENSIONS: [ObjectIdentifier; 15] = [
    ObjectIdentifier::new_unwrap("2.16.840.1.113730.1.1"), // netscape-cert-type
    ObjectIdentifier::new_unwrap("2.5.29.15"),             // keyUsage
    ObjectIdentifier::new_unwrap("2.5.29.17"),             // subjectAltName
    ObjectIdentifier::new_unwrap("2.5.29.19"),             // basicConstraints
    ObjectIdentifier::new_unwrap("2.5.29.32"),             // certificatePolicies
    ObjectIdentifier::new_unwrap("2.5.29.31"),             // cRLDistributionPoints
    ObjectIdentifier::new_unwrap("2.5.29.37"),             // extendedKeyUsage
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.7"),     // sbgp-ipAddrBlock
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.8"),     // sbgp-autonomousSysNum
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5"),  // OCSP noCheck
    ObjectIdentifier::new_unwrap("2.5.29.36"),             // policyConstraints
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.14"),    // proxyCertInfo
    ObjectIdentifier::new_unwrap("2.5.29.30"),             // nameConstraints
    ObjectIdentifier::new_unwrap("2.5.29.33"),             // policyMappings
    ObjectIdentifier::new_unwrap("2.5.29.54"),             // inhibitAnyPolicy
];

/// The first extension of `cert` marked critical that OpenSSL does not handle.
fn unhandled_critical(cert: &Certificate) -> Option<ObjectIdentifier> {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.critical && !SUPPORTED_EXTENSIONS.contains(&e.extn_id))
        .map(|e| e.extn_id)
}

/// One certificate of the file, with what OpenSSL decides on.
#[derive(Debug)]
struct Entry {
    der: CertificateDer<'static>,
    /// Subject name (DER) and subject key identifier: the certificates OpenSSL considers for one issuer.
    group: (Vec<u8>, Vec<u8>),
    self_issued: bool,
    /// basicConstraints pathLenConstraint, when given.
    path_len: Option<u8>,
    /// Seconds since the Unix epoch.
    not_before: u64,
    not_after: u64,
    /// "certificate 2 (CN=...)", for messages: its place in the file and its subject, nothing secret.
    label: String,
    /// Why OpenSSL refuses it as a CA for a TLS server, if it does.
    refusal: Option<String>,
    not_before_text: String,
    not_after_text: String,
}

fn extension<T: AssociatedOid + for<'a> Decode<'a>>(cert: &Certificate) -> Result<Option<T>, String> {
    let Some(ext) = cert.tbs_certificate.extensions.iter().flatten().find(|e| e.extn_id == T::OID) else { return Ok(None) };
    T::from_der(ext.extn_value.as_bytes()).map(Some).map_err(|e| format!("extension {} is unreadable: {e}", T::OID))
}

/// Why OpenSSL's ssl_server purpose refuses `cert` as a CA (its check_ca and xku_reject), or None.
fn ca_refusal(cert: &Certificate, self_issued: bool) -> Result<Option<String>, String> {
    if let Some(oid) = unhandled_critical(cert) {
        return Ok(Some(format!(
            "it has an extension marked critical that OpenSSL does not handle ({oid}): unhandled critical extension"
        )));
    }
    let key_usage = extension::<KeyUsage>(cert)?;
    if key_usage.as_ref().is_some_and(|ku| !ku.key_cert_sign()) {
        return Ok(Some("its keyUsage does not include keyCertSign".into()));
    }
    match extension::<BasicConstraints>(cert)? {
        Some(bc) if !bc.ca => return Ok(Some("it is not a CA (basicConstraints CA:FALSE)".into())),
        Some(_) => {}
        None if key_usage.is_some() || (cert.tbs_certificate.version == Version::V1 && self_issued) => {}
        None => return Ok(Some("it is not a CA (no basicConstraints and no keyUsage)".into())),
    }
    if let Some(ExtendedKeyUsage(purposes)) = extension::<ExtendedKeyUsage>(cert)? {
        if !purposes.iter().any(|p| *p == SERVER_AUTH || *p == NETSCAPE_SGC || *p == MICROSOFT_SGC) {
            return Ok(Some("its extendedKeyUsage does not include serverAuth".into()));
        }
    }
    Ok(None)
}

fn entry(der: CertificateDer<'static>, index: usize) -> Result<Entry, String> {
    let place = format!("certificate {}", index + 1);
    let cert = Certificate::from_der(der.as_ref()).map_err(|e| format!("{place} is not a readable X.509 certificate: {e}"))?;
    let tbs = &cert.tbs_certificate;
    let label = format!("{place} ({})", tbs.subject);
    let subject = tbs.subject.to_der().map_err(|e| format!("{label}: {e}"))?;
    let issuer = tbs.issuer.to_der().map_err(|e| format!("{label}: {e}"))?;
    let key_id = extension::<SubjectKeyIdentifier>(&cert)
        .map_err(|e| format!("{label}: {e}"))?
        .map(|ski| ski.0.as_bytes().to_vec())
        .unwrap_or_default();
    let authority = extension::<AuthorityKeyIdentifier>(&cert)
        .map_err(|e| format!("{label}: {e}"))?
        .and_then(|aki| aki.key_identifier)
        .map(|id| id.as_bytes().to_vec());
    // OpenSSL's "self-issued": the same name, and an authority key identifier, if any, naming its own key.
    let self_issued = subject == issuer && authority.is_none_or(|id| key_id.is_empty() || id == key_id);
    let refusal = ca_refusal(&cert, self_issued).map_err(|e| format!("{label}: {e}"))?;
    let path_len =
        extension::<BasicConstraints>(&cert).map_err(|e| format!("{label}: {e}"))?.and_then(|bc| bc.path_len_constraint);
    let validity = &tbs.validity;
    Ok(Entry {
        der,
        group: (subject, key_id),
        self_issued,
        path_len,
        not_before: validity.not_before.to_unix_duration().as_secs(),
        not_after: validity.not_after.to_unix_duration().as_secs(),
        label,
        refusal,
        not_before_text: validity.not_before.to_string(),
        not_after_text: validity.not_after.to_string(),
    })
}

/// Why OpenSSL would refuse the chain the server sent, for what webpki does not check on issuers: the
/// keyUsage of each intermediate on the path from `end_entity` (webpki ignores keyUsage on issuers;
/// OpenSSL requires keyCertSign). The path is followed by issuer name through `intermediates` up to a
/// self-issued certificate (a root: those of a CA file are checked by `Anchors`). None when fine or
/// when a certificate is unreadable here (webpki has already accepted the chain).
pub fn issuer_refusal(end_entity: &[u8], intermediates: &[CertificateDer<'_>]) -> Option<String> {
    let mut current = Certificate::from_der(end_entity).ok()?;
    for _ in 0..intermediates.len() {
        let issuer = current.tbs_certificate.issuer.to_der().ok()?;
        let next = intermediates.iter().enumerate().find_map(|(i, der)| {
            let cert = Certificate::from_der(der.as_ref()).ok()?;
            (cert.tbs_certificate.subject.to_der().ok()? == issuer).then_some((i, cert))
        });
        let (index, cert) = next?;
        let self_issued = cert.tbs_certificate.subject == cert.tbs_certificate.issuer;
        if self_issued {
            return None;
        }
        if let Ok(Some(why)) = ca_refusal(&cert, false) {
            return Some(format!(
                "the server's intermediate certificate {} ({}) is refused as a CA for TLS servers: {why}",
                index + 1,
                cert.tbs_certificate.subject
            ));
        }
        current = cert;
    }
    None
}

/// Subject name (DER), issuer name (DER), subject and authority key identifiers (empty when absent).
type Names = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

fn names(cert: &Certificate) -> Option<Names> {
    let tbs = &cert.tbs_certificate;
    let key_id = extension::<SubjectKeyIdentifier>(cert).ok()?.map(|s| s.0.as_bytes().to_vec()).unwrap_or_default();
    let authority = extension::<AuthorityKeyIdentifier>(cert)
        .ok()?
        .and_then(|a| a.key_identifier)
        .map(|id| id.as_bytes().to_vec())
        .unwrap_or_default();
    Some((tbs.subject.to_der().ok()?, tbs.issuer.to_der().ok()?, key_id, authority))
}

/// Whether a certificate with `subject` and key identifier `key_id` can have issued one naming `issuer`
/// and authority key identifier `authority` (OpenSSL's name and key identifier match).
fn issues(subject: &[u8], key_id: &[u8], issuer: &[u8], authority: &[u8]) -> bool {
    subject == issuer && (authority.is_empty() || key_id.is_empty() || authority == key_id)
}

/// A root the path may end at: subject name, key identifier, pathLenConstraint, label.
pub struct Root<'a> {
    subject: &'a [u8],
    key_id: &'a [u8],
    path_len: Option<u8>,
    label: &'a str,
}

/// Why OpenSSL would refuse the path from `end_entity` through `chain` (the server's intermediates, then
/// those taken from the CA file) to one of `roots` for the root's pathLenConstraint: more CA
/// certificates that are not self-issued between the server's certificate and the root than it allows
/// (OpenSSL: "path length constraint exceeded"). None when fine or when no path is found here (webpki
/// has already accepted the chain; it checks the constraints of intermediates itself).
fn path_refusal(end_entity: &[u8], chain: &[CertificateDer<'_>], roots: &[Root<'_>]) -> Option<String> {
    let certs: Vec<Names> =
        chain.iter().filter_map(|der| Certificate::from_der(der.as_ref()).ok().as_ref().and_then(names)).collect();
    let (_, mut issuer, _, mut authority) = names(&Certificate::from_der(end_entity).ok()?)?;
    let mut between = 0usize;
    let mut used = vec![false; certs.len()];
    for _ in 0..=certs.len() {
        if let Some(root) = roots.iter().find(|r| issues(r.subject, r.key_id, &issuer, &authority)) {
            let limit = usize::from(root.path_len?);
            return (between > limit).then(|| {
                format!(
                    "the server's chain has {between} CA certificate(s) between its certificate and the root {} whose pathLenConstraint is {limit} (OpenSSL: path length constraint exceeded)",
                    root.label
                )
            });
        }
        let (index, next) = certs
            .iter()
            .enumerate()
            .find(|(i, (subject, _, key_id, _))| !used[*i] && issues(subject, key_id, &issuer, &authority))?;
        used[index] = true;
        if next.0 != next.1 {
            between += 1;
        }
        (issuer, authority) = (next.1.clone(), next.3.clone());
    }
    None
}

/// The CA certificates of one file or PEM text, named in messages as `what` (e.g. `sslrootcert file
/// "/etc/ca.pem"`; never their contents).
#[derive(Debug)]
pub struct Anchors {
    what: String,
    entries: Vec<Entry>,
}

/// What a handshake at one moment may use.
struct Selection {
    /// Indexes of the certificates taken (one per name), to know when the moment changes the choice.
    taken: Vec<usize>,
    roots: Vec<CertificateDer<'static>>,
    intermediates: Vec<CertificateDer<'static>>,
    /// Why a name gave no root.
    refused: Vec<String>,
}

impl Anchors {
    /// Reads `certs` (already split from PEM). Errors name `what` and the certificate.
    pub fn new(what: String, certs: Vec<CertificateDer<'static>>) -> Result<Anchors, String> {
        let entries = certs
            .into_iter()
            .enumerate()
            .map(|(i, der)| entry(der, i))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{what}: {e}"))?;
        Ok(Anchors { what, entries })
    }

    fn select(&self, now: u64) -> Selection {
        let mut selection = Selection { taken: Vec::new(), roots: Vec::new(), intermediates: Vec::new(), refused: Vec::new() };
        let mut seen: Vec<&(Vec<u8>, Vec<u8>)> = Vec::new();
        for entry in &self.entries {
            if seen.contains(&&entry.group) {
                continue;
            }
            seen.push(&entry.group);
            let same: Vec<(usize, &Entry)> = self.entries.iter().enumerate().filter(|(_, e)| e.group == entry.group).collect();
            let Some(&(index, taken)) = same.iter().find(|(_, e)| e.not_before <= now && now <= e.not_after) else {
                // None within its dates: OpenSSL reports the one expiring last.
                let last = same.iter().map(|(_, e)| e).max_by_key(|e| e.not_after).unwrap_or(&entry);
                selection.refused.push(if now < last.not_before {
                    format!("{} is not valid before {}", last.label, last.not_before_text)
                } else {
                    format!("{} expired on {}", last.label, last.not_after_text)
                });
                continue;
            };
            if let Some(why) = &taken.refusal {
                selection.refused.push(format!("{} is refused as a CA for TLS servers: {why}", taken.label));
                continue;
            }
            selection.taken.push(index);
            if taken.self_issued {
                selection.roots.push(taken.der.clone());
            } else {
                selection.intermediates.push(taken.der.clone());
            }
        }
        selection
    }

    fn no_root_message(&self, selection: &Selection) -> String {
        let mut why = selection.refused.clone();
        why.extend(
            self.entries
                .iter()
                .enumerate()
                .filter(|(i, e)| !e.self_issued && selection.taken.contains(i))
                .map(|(_, e)| format!("{} is not self-signed (an intermediate, not a root)", e.label)),
        );
        format!("{} holds no root CA certificate that node-postgres (OpenSSL) would trust: {}", self.what, why.join("; "))
    }

    /// An error naming the file when, at `now` (seconds since the Unix epoch), no certificate is a root
    /// OpenSSL would trust.
    pub fn check_usable(&self, now: u64) -> Result<(), String> {
        let selection = self.select(now);
        if selection.roots.is_empty() {
            return Err(self.no_root_message(&selection));
        }
        Ok(())
    }
}

/// Builds the chain verifier (webpki, possibly wrapped) for a set of roots.
pub type MakeVerifier = dyn Fn(Arc<RootCertStore>) -> Result<Arc<dyn ServerCertVerifier>, String> + Send + Sync;

/// The verifier built for one choice of certificates (their indexes in the file).
type Built = Option<(Vec<usize>, Arc<dyn ServerCertVerifier>)>;

/// Verifies a server's chain against the certificates OpenSSL would take from `anchors` at the moment
/// of the handshake; the webpki verifier for one choice is kept until the moment changes the choice.
pub struct AnchoredVerifier {
    anchors: Anchors,
    make: Box<MakeVerifier>,
    provider: Arc<CryptoProvider>,
    built: Mutex<Built>,
}

impl std::fmt::Debug for AnchoredVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnchoredVerifier").field("anchors", &self.anchors.what).finish()
    }
}

fn refusal(message: String) -> TlsError {
    TlsError::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(std::io::Error::other(message)))))
}

impl AnchoredVerifier {
    pub fn new(anchors: Anchors, make: Box<MakeVerifier>, provider: Arc<CryptoProvider>) -> AnchoredVerifier {
        AnchoredVerifier { anchors, make, provider, built: Mutex::new(None) }
    }

    fn verifier(&self, selection: &Selection) -> Result<Arc<dyn ServerCertVerifier>, TlsError> {
        let mut built = self.built.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((taken, verifier)) = built.as_ref() {
            if *taken == selection.taken {
                return Ok(verifier.clone());
            }
        }
        let mut store = RootCertStore::empty();
        for root in &selection.roots {
            store.add(root.clone()).map_err(|e| refusal(format!("{}: {e}", self.anchors.what)))?;
        }
        let verifier = (self.make)(Arc::new(store)).map_err(refusal)?;
        *built = Some((selection.taken.clone(), verifier.clone()));
        Ok(verifier)
    }
}

impl ServerCertVerifier for AnchoredVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let selection = self.anchors.select(now.as_secs());
        if selection.roots.is_empty() {
            return Err(refusal(self.anchors.no_root_message(&selection)));
        }
        let verifier = self.verifier(&selection)?;
        let mut chain: Vec<CertificateDer<'_>> = intermediates.to_vec();
        chain.extend(selection.intermediates.iter().cloned());
        let verified = match verifier.verify_server_cert(end_entity, &chain, server_name, ocsp, now) {
            Err(TlsError::InvalidCertificate(CertificateError::UnknownIssuer)) if !selection.refused.is_empty() => {
                return Err(refusal(format!(
                    "certificate not trusted (UnknownIssuer); in {}: {}",
                    self.anchors.what,
                    selection.refused.join("; ")
                )))
            }
            other => other?,
        };
        let roots: Vec<Root<'_>> = selection
            .taken
            .iter()
            .map(|&i| &self.anchors.entries[i])
            .filter(|e| e.self_issued)
            .map(|e| Root { subject: &e.group.0, key_id: &e.group.1, path_len: e.path_len, label: &e.label })
            .collect();
        if let Some(why) = path_refusal(end_entity.as_ref(), &chain, &roots) {
            return Err(refusal(format!("{} (in {})", why, self.anchors.what)));
        }
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Self-signed certificates for one key and name, one per entry of `extensions`, as DER (None when
    /// openssl is not installed).
    fn openssl_certs(tag: &str, extensions: &[&str]) -> Option<Vec<CertificateDer<'static>>> {
        let dir = std::env::temp_dir().join(format!("flg-anchors-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let key = dir.join("k.pem");
        let made = std::process::Command::new("openssl")
            .args(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.to_str()?])
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        if !made.success() {
            return None;
        }
        let mut certs = Vec::new();
        for (i, ext) in extensions.iter().enumerate() {
            let cnf = dir.join(format!("{i}.cnf"));
            std::fs::write(&cnf, format!("[req]\ndistinguished_name=dn\n[dn]\n[ext]\nsubjectKeyIdentifier=hash\n{ext}\n"))
                .ok()?;
            let out = dir.join(format!("{i}.der"));
            let status = std::process::Command::new("openssl")
                .args(["req", "-x509", "-key", key.to_str()?, "-days", "1", "-subj", "/CN=anchor test", "-outform", "DER"])
                .args(["-config", cnf.to_str()?, "-extensions", "ext", "-out", out.to_str()?])
                .stderr(std::process::Stdio::null())
                .status()
                .ok()?;
            assert!(status.success(), "openssl req with {ext}");
            certs.push(CertificateDer::from(std::fs::read(out).ok()?));
        }
        let _ = std::fs::remove_dir_all(&dir);
        Some(certs)
    }

    const CA: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign";

    #[test]
    fn dates_are_those_of_the_moment() {
        let Some(certs) = openssl_certs("dates", &[CA]) else { return };
        let anchors = Anchors::new("sslrootcert file \"/x.pem\"".into(), certs).unwrap();
        let now = UnixTime::now().as_secs();
        assert!(anchors.check_usable(now).is_ok());
        let later = anchors.check_usable(now + 3 * 86_400).unwrap_err();
        assert!(later.starts_with("sslrootcert file \"/x.pem\" holds no root CA"), "{later}");
        assert!(later.contains("certificate 1 (CN=anchor test) expired on"), "{later}");
        assert!(anchors.check_usable(0).unwrap_err().contains("is not valid before"));
    }

    #[test]
    fn per_name_the_first_within_its_dates_is_taken_and_must_be_a_ca_for_tls_servers() {
        let Some(certs) = openssl_certs("order", &[&format!("{CA}\nextendedKeyUsage=clientAuth"), CA]) else { return };
        let first_bad = Anchors::new("tls.ca".into(), certs.clone()).unwrap();
        let message = first_bad.check_usable(UnixTime::now().as_secs()).unwrap_err();
        assert!(
            message.contains("certificate 1 (CN=anchor test) is refused as a CA for TLS servers: its extendedKeyUsage"),
            "{message}"
        );
        let first_good = Anchors::new("tls.ca".into(), certs.into_iter().rev().collect()).unwrap();
        assert!(first_good.check_usable(UnixTime::now().as_secs()).is_ok());
    }

    #[test]
    fn what_openssl_accepts_as_a_ca_for_tls_servers() {
        let cases = [
            (CA, None),
            ("keyUsage=critical,keyCertSign", None),
            ("basicConstraints=critical,CA:TRUE\nextendedKeyUsage=serverAuth,clientAuth", None),
            ("basicConstraints=critical,CA:FALSE", Some("not a CA (basicConstraints CA:FALSE)")),
            ("basicConstraints=critical,CA:TRUE\nkeyUsage=digitalSignature", Some("keyUsage does not include keyCertSign")),
            (
                "basicConstraints=critical,CA:TRUE\nextendedKeyUsage=anyExtendedKeyUsage",
                Some("extendedKeyUsage does not include serverAuth"),
            ),
            ("subjectAltName=DNS:localhost", Some("not a CA (no basicConstraints and no keyUsage)")),
            (
                "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n1.2.3.4.5=critical,ASN1:NULL",
                Some("extension marked critical that OpenSSL does not handle (1.2.3.4.5)"),
            ),
            ("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n1.2.3.4.5=ASN1:NULL", None),
            ("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\ncertificatePolicies=critical,1.2.3.4", None),
            ("basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign", None),
        ];
        let Some(certs) = openssl_certs("purposes", &cases.map(|(ext, _)| ext)) else { return };
        for ((ext, refusal), der) in cases.iter().zip(certs) {
            let anchors = Anchors::new("tls.ca".into(), vec![der]).unwrap();
            let result = anchors.check_usable(UnixTime::now().as_secs());
            match refusal {
                None => assert!(result.is_ok(), "{ext}: {result:?}"),
                Some(why) => assert!(result.unwrap_err().contains(why), "{ext}"),
            }
        }
    }

    /// A root, an intermediate with `intermediate_ext` signed by it, and a leaf for localhost signed by
    /// that; with OpenSSL's verdict on the chain for a TLS server (`openssl verify -purpose sslserver`).
    fn openssl_chain(tag: &str, intermediate_ext: &str) -> Option<(Vec<u8>, Vec<u8>, bool)> {
        openssl_chain_under(tag, "basicConstraints=critical,CA:TRUE", intermediate_ext, "")
            .map(|(_, leaf, inter, ok)| (leaf, inter, ok))
    }

    /// As `openssl_chain`, with the root's basicConstraints `root_bc` and `leaf_extra` added to the leaf's
    /// extensions; the root comes first.
    /// Root, leaf, intermediate (DER) and OpenSSL's verdict.
    type Chain = (Vec<u8>, Vec<u8>, Vec<u8>, bool);

    fn openssl_chain_under(tag: &str, root_bc: &str, intermediate_ext: &str, leaf_extra: &str) -> Option<Chain> {
        let dir = std::env::temp_dir().join(format!("flg-chain-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
        let run = |args: &[&str]| {
            std::process::Command::new("openssl")
                .args(args)
                .stderr(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .status()
        };
        std::fs::write(path("root.cnf"), format!("subjectKeyIdentifier=hash\n{CA}\n")).ok()?;
        std::fs::write(
            path("inter.cnf"),
            format!("subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n{intermediate_ext}\n"),
        )
        .ok()?;
        std::fs::write(
            path("leaf.cnf"),
            format!("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n{leaf_extra}\n"),
        )
        .ok()?;
        let ok = run(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=chain root",
            "-keyout",
            &path("root.key"),
            "-out",
            &path("root.pem"),
            "-addext",
            root_bc,
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ])
        .ok()?
        .success();
        if !ok {
            return None;
        }
        for (name, subject, issuer) in [("inter", "/CN=chain intermediate", "root"), ("leaf", "/CN=localhost", "inter")] {
            run(&[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                subject,
                "-keyout",
                &path(&format!("{name}.key")),
                "-out",
                &path(&format!("{name}.csr")),
            ])
            .ok()?;
            run(&[
                "x509",
                "-req",
                "-in",
                &path(&format!("{name}.csr")),
                "-CA",
                &path(&format!("{issuer}.pem")),
                "-CAkey",
                &path(&format!("{issuer}.key")),
                "-CAcreateserial",
                "-days",
                "1",
                "-extfile",
                &path(&format!("{name}.cnf")),
                "-out",
                &path(&format!("{name}.pem")),
            ])
            .ok()?;
        }
        let verdict = run(&[
            "verify",
            "-purpose",
            "sslserver",
            "-CAfile",
            &path("root.pem"),
            "-untrusted",
            &path("inter.pem"),
            &path("leaf.pem"),
        ])
        .ok()?
        .success();
        let der = |name: &str| {
            let text = std::fs::read(path(name)).unwrap();
            let certs: Vec<CertificateDer<'static>> =
                rustls_pemfile::certs(&mut text.as_slice()).collect::<Result<_, _>>().unwrap();
            certs[0].to_vec()
        };
        let chain = (der("root.pem"), der("leaf.pem"), der("inter.pem"), verdict);
        let _ = std::fs::remove_dir_all(&dir);
        Some(chain)
    }

    #[test]
    fn an_intermediate_the_server_sends_is_checked_as_openssl_checks_it() {
        let mut verdicts = Vec::new();
        for (tag, ext) in [
            ("good", CA),
            ("no-cert-sign", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature"),
            ("no-ku", "basicConstraints=critical,CA:TRUE"),
        ] {
            let Some((leaf, intermediate, openssl_accepts)) = openssl_chain(tag, ext) else { return };
            verdicts.push(openssl_accepts);
            let refusal = issuer_refusal(&leaf, &[CertificateDer::from(intermediate)]);
            assert_eq!(refusal.is_none(), openssl_accepts, "{tag}: {refusal:?}");
            if let Some(why) = refusal {
                assert!(why.contains("intermediate certificate 1 (CN=chain intermediate)"), "{why}");
            }
        }
        // OpenSSL refuses only the intermediate whose keyUsage lacks keyCertSign.
        assert_eq!(verdicts, [true, false, true]);
    }

    #[test]
    fn the_roots_path_length_constraint_bounds_the_cas_below_it_as_openssl_counts() {
        let mut verdicts = Vec::new();
        for (tag, root_bc) in [
            ("pathlen0", "basicConstraints=critical,CA:TRUE,pathlen:0"),
            ("pathlen1", "basicConstraints=critical,CA:TRUE,pathlen:1"),
            ("nopathlen", "basicConstraints=critical,CA:TRUE"),
        ] {
            let Some((root, leaf, intermediate, openssl_accepts)) = openssl_chain_under(tag, root_bc, CA, "") else { return };
            verdicts.push(openssl_accepts);
            let anchors = Anchors::new("tls.ca".into(), vec![CertificateDer::from(root.clone())]).unwrap();
            let entry = &anchors.entries[0];
            let roots = [Root { subject: &entry.group.0, key_id: &entry.group.1, path_len: entry.path_len, label: &entry.label }];
            let chain = [CertificateDer::from(intermediate)];
            let refusal = path_refusal(&leaf, &chain, &roots);
            assert_eq!(refusal.is_none(), openssl_accepts, "{tag}: {refusal:?}");
            if let Some(why) = refusal {
                assert!(why.contains("1 CA certificate(s) between"), "{why}");
                assert!(why.contains("root certificate 1 (CN=chain root) whose pathLenConstraint is 0"), "{why}");
            }
            // The root signing the server's certificate itself: nothing between, always within.
            assert!(path_refusal(&chain[0], &[], &roots).is_none(), "{tag}");
        }
        assert_eq!(verdicts, [false, true, true]);
    }

    /// What the whole verifier (this file's checks around webpki) says of the chain root -> intermediate -> leaf.
    fn verified(root: Vec<u8>, leaf: Vec<u8>, intermediate: Vec<u8>) -> Result<ServerCertVerified, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain_provider = provider.clone();
        let make = move |roots: Arc<RootCertStore>| -> Result<Arc<dyn ServerCertVerifier>, String> {
            let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, chain_provider.clone()).build();
            Ok(webpki.map_err(|e| e.to_string())? as Arc<dyn ServerCertVerifier>)
        };
        let anchors = Anchors::new("tls.ca".into(), vec![CertificateDer::from(root)]).unwrap();
        let verifier = AnchoredVerifier::new(anchors, Box::new(make), provider);
        let name = ServerName::try_from("localhost").unwrap();
        verifier.verify_server_cert(
            &CertificateDer::from(leaf),
            &[CertificateDer::from(intermediate)],
            &name,
            &[],
            UnixTime::now(),
        )
    }

    #[test]
    fn critical_extensions_and_path_length_on_the_whole_chain_as_openssl_decides() {
        let root_ca = "basicConstraints=critical,CA:TRUE";
        let unknown = "1.2.3.4.5=critical,ASN1:NULL";
        let cases = [
            ("whole-plain", root_ca, CA.to_string(), ""),
            ("whole-pathlen0", "basicConstraints=critical,CA:TRUE,pathlen:0", CA.to_string(), ""),
            ("whole-pathlen1", "basicConstraints=critical,CA:TRUE,pathlen:1", CA.to_string(), ""),
            // webpki refuses unknown critical extensions on the certificates the server sends, as OpenSSL does.
            ("critical-intermediate", root_ca, format!("{CA}\n{unknown}"), ""),
            ("critical-leaf", root_ca, CA.to_string(), unknown),
        ];
        for (tag, root_bc, intermediate_ext, leaf_extra) in cases {
            let Some((root, leaf, intermediate, openssl_accepts)) =
                openssl_chain_under(tag, root_bc, &intermediate_ext, leaf_extra)
            else {
                return;
            };
            let ours = verified(root, leaf, intermediate);
            assert_eq!(ours.is_ok(), openssl_accepts, "{tag}: ours {ours:?}, OpenSSL accepts: {openssl_accepts}");
            assert_eq!(openssl_accepts, matches!(tag, "whole-plain" | "whole-pathlen1"), "{tag}");
        }
        // Known difference, on the safe side: webpki refuses a critical certificatePolicies on an intermediate,
        // which OpenSSL handles and accepts (node-postgres connects; RustPostgresSaver refuses).
        let policies = format!("{CA}\ncertificatePolicies=critical,1.2.3.4");
        let Some((root, leaf, intermediate, openssl_accepts)) = openssl_chain_under("policies", root_ca, &policies, "") else {
            return;
        };
        assert!(openssl_accepts);
        assert!(verified(root, leaf, intermediate).is_err());
    }

    #[test]
    fn the_system_bundle_reads_whole() {
        let Ok(file) = std::fs::File::open("/etc/ssl/certs/ca-certificates.crt") else { return };
        let certs: Vec<CertificateDer<'static>> =
            rustls_pemfile::certs(&mut std::io::BufReader::new(file)).collect::<Result<_, _>>().unwrap();
        let anchors = Anchors::new("sslrootcert file \"ca-certificates.crt\"".into(), certs).unwrap();
        let selection = anchors.select(UnixTime::now().as_secs());
        assert!(selection.roots.len() > 100, "{} roots", selection.roots.len());
        assert!(selection.intermediates.is_empty());
    }
}
