//! `[https]`: HTTPS listeners beside the HTTP ones, serving the same
//! routes with a certificate and key read from PEM files, and optionally
//! asking clients for a certificate signed by a CA of `client_ca`.
//!
//! ```toml
//! [https]
//! listen = ["0.0.0.0:8443"]          # default 127.0.0.1:8443
//! cert = "/etc/jinn/tls/cert.pem"    # chain, leaf first
//! key = "/etc/jinn/tls/key.pem"      # PKCS#8, PKCS#1 or SEC1
//! client_ca = "/etc/jinn/tls/devices-ca.pem"
//! client_auth = "required"           # or "optional"; only with client_ca
//! ```
//!
//! Paths are checked here; the files themselves are read and checked when
//! the gateway is built ([`crate::tls`]), at start, by `jinn check` and at
//! each reload, with errors at these keys.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use toml::Spanned;

use super::Location;
use super::raw::RawConfig;
use super::validate::{Validator, parse_addr};

/// `https.listen` when the section sets none.
pub const DEFAULT_HTTPS_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8443);

/// Whether HTTPS clients must show a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// Every client must present a certificate signed by a CA of `client_ca`.
    Required,
    /// A client may present one (it must then be valid) or none.
    Optional,
}

/// A PEM file named in the configuration, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFile {
    /// The file (absolute, or relative to the config file's directory).
    pub path: PathBuf,
    /// Where it was written: errors reading it point there.
    pub at: Location,
}

/// The HTTPS listeners.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpsSettings {
    /// Addresses to listen on.
    pub listen: Vec<SocketAddr>,
    /// The certificate chain, leaf first.
    pub cert: TlsFile,
    /// The private key of the leaf certificate.
    pub key: TlsFile,
    /// CA certificates client certificates are checked against, and whether
    /// a client must present one; `None` asks no client for a certificate.
    pub client_ca: Option<(TlsFile, ClientAuth)>,
}

impl HttpsSettings {
    /// The files, for the reload watcher.
    pub fn files(&self) -> impl Iterator<Item = &PathBuf> {
        [&self.cert, &self.key]
            .into_iter()
            .chain(self.client_ca.as_ref().map(|(ca, _)| ca))
            .map(|f| &f.path)
    }
}

/// `[https]` as written.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttps {
    pub listen: Option<Vec<Spanned<String>>>,
    pub cert: Spanned<String>,
    pub key: Spanned<String>,
    pub client_ca: Option<Spanned<String>>,
    pub client_auth: Option<Spanned<String>>,
}

impl Validator<'_> {
    /// `[https]`, when the file has one.
    pub(super) fn https(&mut self, raw: &RawConfig) -> Option<HttpsSettings> {
        let h = raw.https.as_ref()?;
        let mut listen = Vec::new();
        match &h.listen {
            None => listen.push(DEFAULT_HTTPS_LISTEN),
            Some(addrs) => {
                for (i, a) in addrs.iter().enumerate() {
                    match parse_addr(a.get_ref()) {
                        Ok(addr) => listen.push(addr),
                        Err(e) => self.err(a.span(), format!("https.listen[{i}]"), e.to_string()),
                    }
                }
                if addrs.is_empty() {
                    self.err(0..0, "https.listen", "needs at least one address");
                }
            }
        }
        let cert = self.tls_file(&h.cert, "https.cert");
        let key = self.tls_file(&h.key, "https.key");
        let auth = match &h.client_auth {
            None => ClientAuth::Required,
            Some(a) => match a.get_ref().as_str() {
                "required" => ClientAuth::Required,
                "optional" => ClientAuth::Optional,
                other => {
                    self.err(
                        a.span(),
                        "https.client_auth",
                        format!("{other:?}: use \"required\" or \"optional\""),
                    );
                    ClientAuth::Required
                }
            },
        };
        let client_ca = match (&h.client_ca, &h.client_auth) {
            (Some(ca), _) => Some((self.tls_file(ca, "https.client_ca"), auth)),
            (None, Some(a)) => {
                self.err(
                    a.span(),
                    "https.client_auth",
                    "needs https.client_ca: the CA certificates client certificates are checked against",
                );
                None
            }
            (None, None) => None,
        };
        Some(HttpsSettings {
            listen,
            cert,
            key,
            client_ca,
        })
    }

    /// A PEM file's path (relative to the config file's directory), and
    /// where it was written.
    pub(super) fn tls_file(&mut self, path: &Spanned<String>, key: &str) -> TlsFile {
        let at = self.loc(path.span(), key);
        if path.get_ref().is_empty() {
            self.errors.push(at.error("must not be empty"));
        }
        TlsFile {
            path: self.source.base.join(path.get_ref()),
            at,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::{Config, Overrides, Source, parse};

    const FUNCTION: &str =
        "[[function]]\nname = \"a\"\nmodule = \"a.wasm\"\nroutes = [{ prefix = \"/a\" }]\n";

    fn config(https: &str) -> Result<Config, Vec<String>> {
        let source = Source {
            name: "t.toml".into(),
            path: None,
            text: format!("{https}\n{FUNCTION}"),
            base: PathBuf::from("/base"),
        };
        parse(&source, &Overrides::default())
            .map_err(|e| e.0.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn no_section_no_https() {
        assert_eq!(config("").unwrap().https, None);
    }

    #[test]
    fn defaults_and_paths_relative_to_the_config() {
        let c = config("[https]\ncert = \"tls/cert.pem\"\nkey = \"/etc/k.pem\"\n").unwrap();
        let h = c.https.unwrap();
        assert_eq!(h.listen, vec![DEFAULT_HTTPS_LISTEN]);
        assert_eq!(h.cert.path, PathBuf::from("/base/tls/cert.pem"));
        assert_eq!(h.key.path, PathBuf::from("/etc/k.pem"));
        assert_eq!((h.key.at.line, h.key.at.column), (3, 7));
        assert_eq!(h.key.at.key, "https.key");
        assert_eq!(h.client_ca, None);
        assert_eq!(c.http.listen.len(), 1, "HTTP listens beside HTTPS");
    }

    #[test]
    fn client_ca_is_required_unless_said_optional() {
        let base = "[https]\nlisten = [\"0.0.0.0:443\", \"[::1]:8443\"]\ncert = \"c\"\nkey = \"k\"\nclient_ca = \"ca.pem\"\n";
        let h = config(base).unwrap().https.unwrap();
        assert_eq!(h.listen.len(), 2);
        let (ca, auth) = h.client_ca.unwrap();
        assert_eq!(ca.path, PathBuf::from("/base/ca.pem"));
        assert_eq!(auth, ClientAuth::Required);
        let h = config(&format!("{base}client_auth = \"optional\"\n"))
            .unwrap()
            .https
            .unwrap();
        assert_eq!(h.client_ca.unwrap().1, ClientAuth::Optional);
    }

    #[test]
    fn errors_name_file_line_column_and_key() {
        let e = config("[https]\ncert = \"c\"\n").unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("t.toml:1:1: https: missing field `key`"),
            "{e:?}"
        );

        let e = config(
            "[https]\ncert = \"\"\nkey = \"k\"\nclient_auth = \"maybe\"\nlisten = [\"nowhere\"]\n",
        )
        .unwrap_err();
        assert_eq!(
            e,
            [
                "t.toml:5:11: https.listen[0]: \"nowhere\" is not an address such as \"127.0.0.1:8080\" or \"[::1]:8080\"",
                "t.toml:2:8: https.cert: must not be empty",
                "t.toml:4:15: https.client_auth: \"maybe\": use \"required\" or \"optional\"",
                "t.toml:4:15: https.client_auth: needs https.client_ca: the CA certificates client certificates are checked against",
            ],
        );

        let e = config("[https]\ncert = \"c\"\nkey = \"k\"\ncerts = 1\n").unwrap_err();
        assert!(
            e[0].starts_with("t.toml:4:1: https.certs: unknown field `certs`"),
            "{e:?}"
        );

        let e = config("[https]\ncert = \"c\"\nkey = \"k\"\nlisten = []\n").unwrap_err();
        assert_eq!(e, ["t.toml:1:1: https.listen: needs at least one address"]);
    }
}
