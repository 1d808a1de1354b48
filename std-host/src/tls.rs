//! TLS of the HTTPS listeners: the rustls server configuration made from
//! the PEM files of `[https]` (ring provider, TLS 1.2 and 1.3, ALPN
//! `http/1.1`), and the handshake of one accepted connection. The PEM
//! reading and the provider serve the `mqtts://` clients too
//! ([`crate::mqtt::tls`]).
//!
//! The configuration is part of a gateway generation
//! ([`crate::loaded::Gateway`]): it is made at start, by `jinn check` and at
//! each reload (SIGHUP, or a change of the files when watching), and every
//! new connection takes the one in force. A renewed certificate is thus
//! served from the next connection on; a file that cannot be read or a key
//! that does not match refuses the reload, and the previous certificate
//! keeps serving. Connections already open keep the session they have.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use crate::config::{ClientAuth, ConfigError, ConfigErrors, HttpsSettings, TlsFile};

/// A PEM file of `[https]` or of an `mqtts://` connection that cannot be
/// used. Never quotes a key's bytes.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file cannot be read (missing, unreadable).
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not PEM, or a PEM section of it is malformed.
    #[error("{}: not valid PEM: {reason}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The file holds no `CERTIFICATE` section.
    #[error("{}: no certificate (a PEM `CERTIFICATE` section) in it", path.display())]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The file holds no private key section.
    #[error("{}: no private key (a PEM `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY` section) in it", path.display())]
    NoKey {
        /// The file.
        path: PathBuf,
    },
    /// rustls refuses the key, or the key is not the certificate's.
    #[error("{} and {}: {reason}", key.display(), cert.display())]
    KeyRefused {
        /// The key file.
        key: PathBuf,
        /// The certificate file.
        cert: PathBuf,
        /// What rustls says.
        reason: String,
    },
    /// A certificate of the CA file cannot be a trust anchor.
    #[error("{}: {reason}", path.display())]
    BadCa {
        /// The CA file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The server configuration of `settings`, its files read now.
///
/// # Errors
///
/// Each file that cannot be used, at the key that names it.
pub fn server_config(settings: &HttpsSettings) -> Result<Arc<ServerConfig>, ConfigErrors> {
    let mut errors = Vec::new();
    let mut fail = |file: &TlsFile, e: TlsError| errors.push(file.at.error(e.to_string()));
    let certs = certificates(&settings.cert.path).map_err(|e| fail(&settings.cert, e));
    let key = private_key(&settings.key.path).map_err(|e| fail(&settings.key, e));
    let provider = provider();
    let verifier = settings
        .client_ca
        .as_ref()
        .map(|(ca, auth)| client_verifier(&ca.path, *auth, &provider).map_err(|e| fail(ca, e)))
        .transpose();
    let (Ok(certs), Ok(key), Ok(verifier)) = (certs, key, verifier) else {
        return Err(ConfigErrors(errors));
    };
    build(settings, certs, key, verifier, provider).map_err(ConfigErrors::from)
}

fn build(
    settings: &HttpsSettings,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    verifier: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>>,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<ServerConfig>, ConfigError> {
    let refused = |reason: String| {
        settings.key.at.error(
            TlsError::KeyRefused {
                key: settings.key.path.clone(),
                cert: settings.cert.path.clone(),
                reason,
            }
            .to_string(),
        )
    };
    let builder = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| refused(e.to_string()))?;
    let builder = match verifier {
        Some(v) => builder.with_client_cert_verifier(v),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| refused(key_refusal(&e)))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The cryptography of every TLS endpoint: ring (no cmake or Go at build
/// time).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// What rustls says when it refuses a certificate's key, in words.
pub fn key_refusal(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
            "the private key is not the key of the certificate (the first of the chain)".into()
        }
        other => other.to_string(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn pem_error(path: &Path, e: &pem::Error) -> TlsError {
    TlsError::Pem {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Every certificate of a PEM file, in order.
///
/// # Errors
///
/// [`TlsError`] naming the file.
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, &e))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// The first private key of a PEM file.
///
/// # Errors
///
/// [`TlsError`] naming the file.
pub fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = zeroize::Zeroizing::new(read(path)?);
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoKey {
            path: path.to_path_buf(),
        },
        // Without the parser's words: they may quote bytes of the key.
        _ => TlsError::Pem {
            path: path.to_path_buf(),
            reason: "a malformed PEM section".into(),
        },
    })
}

fn client_verifier(
    path: &Path,
    auth: ClientAuth,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(path)? {
        roots.add(cert).map_err(|e| TlsError::BadCa {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    }
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    let builder = match auth {
        ClientAuth::Required => builder,
        ClientAuth::Optional => builder.allow_unauthenticated(),
    };
    builder.build().map_err(|e| TlsError::BadCa {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// How a TLS listener finds the server configuration in force in its state.
pub type Current<S> = fn(&S) -> Option<Arc<ServerConfig>>;

/// The TLS handshake of an accepted connection, within `limit`; `None`
/// (logged at debug level) when it fails or takes longer.
pub async fn handshake(
    stream: TcpStream,
    config: Arc<ServerConfig>,
    limit: Duration,
    peer: std::net::SocketAddr,
) -> Option<TlsStream<TcpStream>> {
    let accept = tokio_rustls::TlsAcceptor::from(config).accept(stream);
    match tokio::time::timeout(limit, accept).await {
        Ok(Ok(tls)) => Some(tls),
        Ok(Err(e)) => {
            tracing::debug!(%peer, "TLS handshake failed: {e}");
            None
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake took longer than {limit:?}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{Location, TlsFile};

    fn file(dir: &Path, name: &str, text: &str) -> TlsFile {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        TlsFile {
            path,
            at: Location {
                file: "jinn.toml".into(),
                line: 7,
                column: 8,
                key: format!("https.{name}"),
            },
        }
    }

    fn self_signed() -> (String, String) {
        let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        (c.cert.pem(), c.signing_key.serialize_pem())
    }

    fn settings(cert: TlsFile, key: TlsFile, ca: Option<TlsFile>) -> HttpsSettings {
        HttpsSettings {
            listen: vec![crate::config::DEFAULT_HTTPS_LISTEN],
            cert,
            key,
            client_ca: ca.map(|ca| (ca, ClientAuth::Required)),
        }
    }

    #[test]
    fn a_certificate_and_its_key_make_a_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed();
        let (cert, key) = (
            file(dir.path(), "cert", &cert),
            file(dir.path(), "key", &key),
        );
        let config = server_config(&settings(cert.clone(), key.clone(), None)).unwrap();
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
        let ca = file(
            dir.path(),
            "client_ca",
            &std::fs::read_to_string(&cert.path).unwrap(),
        );
        server_config(&settings(cert, key, Some(ca))).unwrap();
    }

    #[test]
    fn each_unusable_file_is_named_at_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed();
        let missing = TlsFile {
            path: dir.path().join("nope.pem"),
            ..file(dir.path(), "cert", "")
        };
        let no_key = file(dir.path(), "key", &cert);
        let ca = file(dir.path(), "client_ca", "hello\n");
        let e = server_config(&settings(missing, no_key, Some(ca))).unwrap_err();
        let e: Vec<String> = e.0.iter().map(ToString::to_string).collect();
        let d = dir.path().display();
        assert_eq!(
            e,
            [
                format!(
                    "jinn.toml:7:8: https.cert: cannot read {d}/nope.pem: No such file or directory (os error 2)"
                ),
                format!(
                    "jinn.toml:7:8: https.key: {d}/key: no private key (a PEM `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY` section) in it"
                ),
                format!(
                    "jinn.toml:7:8: https.client_ca: {d}/client_ca: no certificate (a PEM `CERTIFICATE` section) in it"
                ),
            ]
        );
        let truncated = &key[..key.len() / 2];
        let bad = file(dir.path(), "key", truncated);
        let e = server_config(&settings(file(dir.path(), "cert", &cert), bad, None)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("jinn.toml:7:8: https.key: {d}/key: not valid PEM: a malformed PEM section")
        );
        assert!(!e.to_string().contains(&truncated[40..60]), "no key bytes");
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, _) = self_signed();
        let (_, other_key) = self_signed();
        let cert = file(dir.path(), "cert", &cert);
        let key = file(dir.path(), "key", &other_key);
        let e = server_config(&settings(cert, key, None)).unwrap_err();
        let d = dir.path().display();
        assert_eq!(
            e.to_string(),
            format!(
                "jinn.toml:7:8: https.key: {d}/key and {d}/cert: the private key is not the key of the certificate (the first of the chain)"
            )
        );
    }
}
