//! TLS on Portico's one port: a connection whose first byte opens a TLS handshake is
//! served over TLS, any other as plain HTTP, so `https://` and `wss://` reach the same
//! URLs as `http://` and `ws://` (a function builds `https://{domainName}/{stage}` from its
//! event, as on AWS). Certificates come from Portico's local certificate authority, made once
//! per machine and kept in Portico's cache, and constrained to loopback names: for each name
//! under `localhost` a client asks for (its SNI), a certificate signed by that authority is
//! made when first asked for, so every host form Portico serves
//! (`<api>.execute-api.localhost`, `<alias>.<fn>.lambda-url.localhost`, ...) is covered;
//! any other name, or none, gets the certificate of `localhost`, `127.0.0.1` and `::1`. Functions trust the authority through `AWS_CA_BUNDLE` and
//! `NODE_EXTRA_CA_CERTS`; other clients are given the file it is in.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// The first byte of a TLS record that carries a handshake.
const HANDSHAKE: u8 = 0x16;

/// How many names' certificates are kept; past it, the oldest made is dropped (a client can
/// ask for any name).
const KEPT: usize = 256;

/// The local certificate authority's subject.
const CA_NAME: &str = "Portico local certificate authority";

/// The file names in the authority's folder.
const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca-key.pem";

/// The TLS settings Portico serves with.
pub type Settings = Arc<rustls::ServerConfig>;

/// Portico's local certificate authority, as kept in its folder.
pub struct LocalCa {
    /// The authority's certificate file, to trust.
    pub cert_path: PathBuf,
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl LocalCa {
    /// The authority kept in `dir`, made there first if there is none. Two Portico
    /// processes that start at once end up with the same one: it is made in a folder of its
    /// own and moved into place whole, and the one that finds it there already uses that.
    pub fn load_or_create(dir: &Path) -> io::Result<LocalCa> {
        if !dir.join(CA_CERT).exists() {
            create(dir)?;
        }
        let cert_pem = std::fs::read_to_string(dir.join(CA_CERT))?;
        let key_pem = std::fs::read_to_string(dir.join(CA_KEY))?;
        let key = KeyPair::from_pem(&key_pem).map_err(invalid)?;
        Ok(LocalCa {
            cert_path: dir.join(CA_CERT),
            cert_pem,
            issuer: Issuer::new(ca_params(), key),
        })
    }

    /// The authority's certificate (PEM).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The TLS settings Portico serves with: HTTP/2 and HTTP/1.1 offered, a certificate per
    /// name asked for.
    pub fn server_config(self) -> io::Result<Settings> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let leaf_key = KeyPair::generate().map_err(invalid)?;
        let signing_key = provider
            .key_provider
            .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                leaf_key.serialize_der(),
            )))
            .map_err(invalid)?;
        let resolver = Certificates {
            ca: self,
            leaf_key,
            signing_key,
            made: Mutex::new(Made::default()),
        };
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(invalid)?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(resolver));
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Whether the connection's first bytes open a TLS handshake (waits for the first byte).
pub async fn starts_tls(stream: &tokio::net::TcpStream) -> bool {
    let mut first = [0u8; 1];
    matches!(stream.peek(&mut first).await, Ok(1) if first[0] == HANDSHAKE)
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

/// The authority's settings: the same every time, so that a kept key signs as the
/// certificate kept beside it names.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_NAME);
    name.push(DnType::OrganizationName, "Portico");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    // It vouches for loopback names only, so trusting it (in the system's store, say)
    // lets it speak for no other host.
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![
            GeneralSubtree::DnsName("localhost".to_string()),
            GeneralSubtree::IpAddress(CidrSubnet::V4([127, 0, 0, 0], [255, 0, 0, 0])),
            GeneralSubtree::IpAddress(CidrSubnet::V6(Ipv6Addr::LOCALHOST.octets(), [0xff; 16])),
        ],
        excluded_subtrees: Vec::new(),
    });
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(3650);
    params
}

/// Makes the authority in a folder beside `dir` and moves it into place; a folder already
/// there (another Portico was quicker) is kept.
fn create(dir: &Path) -> io::Result<()> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let making = parent.join(format!(".tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&making);
    // Only its owner may read the authority's key, from the start.
    let mut folder = std::fs::DirBuilder::new();
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        folder.mode(0o700);
        file.mode(0o600);
    }
    folder.create(&making)?;
    let key = KeyPair::generate().map_err(invalid)?;
    let cert = ca_params().self_signed(&key).map_err(invalid)?;
    std::fs::write(making.join(CA_CERT), cert.pem())?;
    std::io::Write::write_all(
        &mut file.open(making.join(CA_KEY))?,
        key.serialize_pem().as_bytes(),
    )?;
    let moved = std::fs::rename(&making, dir);
    if moved.is_err() {
        let _ = std::fs::remove_dir_all(&making);
    }
    match moved {
        Ok(()) => Ok(()),
        Err(_) if dir.join(CA_CERT).exists() => Ok(()),
        Err(e) => Err(e),
    }
}

/// The certificates made so far, by name, and the order they were made in.
#[derive(Default)]
struct Made {
    by_name: HashMap<String, Arc<CertifiedKey>>,
    order: std::collections::VecDeque<String>,
}

/// Answers each TLS handshake with a certificate for the name it asks for.
struct Certificates {
    ca: LocalCa,
    leaf_key: KeyPair,
    signing_key: Arc<dyn rustls::sign::SigningKey>,
    made: Mutex<Made>,
}

impl std::fmt::Debug for Certificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Certificates")
    }
}

impl Certificates {
    /// A certificate for `name` (`None`: a client that names no host, one that connects to
    /// an address, or one that names a host outside `localhost`, which the authority may
    /// not vouch for), which also covers `localhost` and the loopback addresses.
    fn make(&self, name: Option<&str>) -> Option<Arc<CertifiedKey>> {
        let mut sans = vec![
            SanType::DnsName("localhost".try_into().ok()?),
            SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        ];
        if let Some(name) = name.filter(|n| *n != "localhost") {
            sans.push(SanType::DnsName(name.to_string().try_into().ok()?));
        }
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, name.unwrap_or("localhost"));
        params.subject_alt_names = sans;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
        params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(365);
        let cert = params.signed_by(&self.leaf_key, &self.ca.issuer).ok()?;
        let chain = vec![CertificateDer::from(cert.der().to_vec())];
        Some(Arc::new(CertifiedKey::new(chain, self.signing_key.clone())))
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello
            .server_name()
            .map(str::to_ascii_lowercase)
            .filter(|n| n == "localhost" || n.ends_with(".localhost"));
        let key = name.clone().unwrap_or_default();
        let mut made = self.made.lock().ok()?;
        if let Some(certified) = made.by_name.get(&key) {
            return Some(certified.clone());
        }
        // Made under the lock (a signature, well under a millisecond): each name once.
        let certified = self.make(name.as_deref())?;
        if made.order.len() >= KEPT
            && let Some(oldest) = made.order.pop_front()
        {
            made.by_name.remove(&oldest);
        }
        made.order.push_back(key.clone());
        made.by_name.insert(key, certified.clone());
        Some(certified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authority_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let tls = dir.path().join("tls");
        let first = LocalCa::load_or_create(&tls).unwrap();
        let again = LocalCa::load_or_create(&tls).unwrap();
        assert_eq!(first.cert_pem(), again.cert_pem());
        assert!(first.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        // A second making (another Portico that raced this one) keeps the first.
        create(&tls).unwrap();
        assert_eq!(
            LocalCa::load_or_create(&tls).unwrap().cert_pem(),
            first.cert_pem()
        );
    }
}
