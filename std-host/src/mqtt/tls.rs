//! TLS of the `mqtts://` connections: the rustls client configuration of
//! one connection, made from its `ca`, `client_cert` and `client_key`
//! files with the PEM reading and the ring provider of the HTTPS listeners
//! ([`crate::tls`]).
//!
//! The broker's certificate must chain to a CA certificate of `ca` — or,
//! without `ca`, of the system's trust store (the files `openssl` would
//! use: `SSL_CERT_FILE`, `SSL_CERT_DIR`, else the distribution's bundle,
//! e.g. `/etc/ssl/certs/ca-certificates.crt`) — and name the URL's host
//! (a DNS name, or an IP address in its IP address entries). With a client
//! certificate and key, the gateway shows them to a broker that asks for
//! one (mutual TLS). TLS 1.2 and 1.3.
//!
//! Made when the gateway is built: at start and by `jinn check`, where
//! each file that cannot be used is an error at the key that names it.

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};

use crate::config::mqtt::MqttTls;
use crate::config::{ConfigError, ConfigErrors, TlsFile};
use crate::tls::{TlsError, certificates, key_refusal, private_key, provider};

/// The client configuration of a connection's TLS settings, its files
/// read now.
///
/// # Errors
///
/// Each file that cannot be used, at the key that names it; an empty
/// system trust store, at the connection's `url`.
pub fn client_config(tls: &MqttTls) -> Result<Arc<ClientConfig>, ConfigErrors> {
    let mut errors = Vec::new();
    let roots = match &tls.ca {
        Some(ca) => ca_roots(ca).map_err(|e| errors.push(e)),
        None => system_roots(tls).map_err(|e| errors.push(e)),
    };
    let client = tls
        .client
        .as_ref()
        .map(|(cert, key)| {
            let certs =
                certificates(&cert.path).map_err(|e| errors.push(cert.at.error(e.to_string())));
            let k = private_key(&key.path).map_err(|e| errors.push(key.at.error(e.to_string())));
            Ok::<_, ()>((certs?, k?))
        })
        .transpose();
    let (Ok(roots), Ok(client)) = (roots, client) else {
        return Err(ConfigErrors(errors));
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigErrors(vec![tls.at.error(e.to_string())]))?
        .with_root_certificates(roots);
    let config = match (client, &tls.client) {
        (Some((certs, key)), Some((cert, key_file))) => {
            builder.with_client_auth_cert(certs, key).map_err(|e| {
                let refused = TlsError::KeyRefused {
                    key: key_file.path.clone(),
                    cert: cert.path.clone(),
                    reason: key_refusal(&e),
                };
                ConfigErrors(vec![key_file.at.error(refused.to_string())])
            })?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The CA certificates of the `ca` file.
fn ca_roots(ca: &TlsFile) -> Result<RootCertStore, ConfigError> {
    let mut roots = RootCertStore::empty();
    let certs = certificates(&ca.path).map_err(|e| ca.at.error(e.to_string()))?;
    for cert in certs {
        roots.add(cert).map_err(|e| {
            let bad = TlsError::BadCa {
                path: ca.path.clone(),
                reason: e.to_string(),
            };
            ca.at.error(bad.to_string())
        })?;
    }
    Ok(roots)
}

/// The CA certificates of the system's trust store (those it cannot parse
/// left out).
fn system_roots(tls: &MqttTls) -> Result<RootCertStore, ConfigError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        let why = found
            .errors
            .first()
            .map_or_else(String::new, |e| format!(" ({e})"));
        return Err(tls.at.error(format!(
            "mqtts:// without `ca`: the system's trust store has no CA certificate{why}; \
             install one (the ca-certificates package) or name the broker's CA with `ca`"
        )));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Location;

    fn file(dir: &Path, name: &str, text: &str) -> TlsFile {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        TlsFile {
            path,
            at: Location {
                file: "jinn.toml".into(),
                line: 3,
                column: 6,
                key: format!("mqtt.up.{name}"),
            },
        }
    }

    fn url() -> Location {
        Location {
            file: "jinn.toml".into(),
            line: 2,
            column: 7,
            key: "mqtt.up.url".into(),
        }
    }

    fn self_signed() -> (String, String) {
        let c = rcgen::generate_simple_self_signed(vec!["gw".into()]).unwrap();
        (c.cert.pem(), c.signing_key.serialize_pem())
    }

    #[test]
    fn a_ca_and_a_client_certificate_make_a_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed();
        let ca = file(dir.path(), "ca", &cert);
        let tls = MqttTls {
            ca: Some(ca.clone()),
            client: Some((
                file(dir.path(), "client_cert", &cert),
                file(dir.path(), "client_key", &key),
            )),
            at: url(),
        };
        let config = client_config(&tls).unwrap();
        assert!(config.client_auth_cert_resolver.has_certs());
        let tls = MqttTls {
            client: None,
            ..tls
        };
        let config = client_config(&tls).unwrap();
        assert!(!config.client_auth_cert_resolver.has_certs());
    }

    #[test]
    fn each_unusable_file_is_named_at_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed();
        let missing = TlsFile {
            path: dir.path().join("nope.pem"),
            ..file(dir.path(), "ca", "")
        };
        let tls = MqttTls {
            ca: Some(missing),
            client: Some((
                file(dir.path(), "client_cert", &key),
                file(dir.path(), "client_key", &cert),
            )),
            at: url(),
        };
        let e = client_config(&tls).unwrap_err();
        let e: Vec<String> = e.0.iter().map(ToString::to_string).collect();
        let d = dir.path().display();
        assert_eq!(
            e,
            [
                format!(
                    "jinn.toml:3:6: mqtt.up.ca: cannot read {d}/nope.pem: No such file or directory (os error 2)"
                ),
                format!(
                    "jinn.toml:3:6: mqtt.up.client_cert: {d}/client_cert: no certificate (a PEM `CERTIFICATE` section) in it"
                ),
                format!(
                    "jinn.toml:3:6: mqtt.up.client_key: {d}/client_key: no private key (a PEM `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY` section) in it"
                ),
            ]
        );
        let truncated = &key[..key.len() / 2];
        let tls = MqttTls {
            ca: Some(file(dir.path(), "ca", &cert)),
            client: Some((
                file(dir.path(), "client_cert", &cert),
                file(dir.path(), "client_key", truncated),
            )),
            at: url(),
        };
        let e = client_config(&tls).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "jinn.toml:3:6: mqtt.up.client_key: {d}/client_key: not valid PEM: a malformed PEM section"
            )
        );
        assert!(!e.contains(&truncated[40..60]), "no key bytes");
    }

    #[test]
    fn a_key_that_is_not_the_client_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, _) = self_signed();
        let (_, other_key) = self_signed();
        let tls = MqttTls {
            ca: Some(file(dir.path(), "ca", &cert)),
            client: Some((
                file(dir.path(), "client_cert", &cert),
                file(dir.path(), "client_key", &other_key),
            )),
            at: url(),
        };
        let e = client_config(&tls).unwrap_err().to_string();
        let d = dir.path().display();
        assert_eq!(
            e,
            format!(
                "jinn.toml:3:6: mqtt.up.client_key: {d}/client_key and {d}/client_cert: the private key is not the key of the certificate (the first of the chain)"
            )
        );
    }
}
