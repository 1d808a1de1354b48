//! Throwaway certificate authorities and certificates (rcgen) written as
//! PEM files into a test's directory, and curl as the HTTPS client: tests
//! fail (never skip) when curl is missing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// A CA: its certificate file, and what it signs with.
pub struct Ca {
    pub cert: PathBuf,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and key, as files.
pub struct Pair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Ca {
    /// A new CA named `name`, its certificate written to `<dir>/<name>.pem`.
    pub fn new(dir: &Path, name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let cert = dir.join(format!("{name}.pem"));
        std::fs::write(&cert, issuer.pem()).unwrap();
        Self { cert, issuer }
    }

    /// A server certificate for `localhost` and 127.0.0.1.
    pub fn server(&self, dir: &Path, name: &str) -> Pair {
        self.sign(
            dir,
            name,
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }

    /// A client certificate for the device `name`.
    pub fn client(&self, dir: &Path, name: &str) -> Pair {
        self.sign(dir, name, &[name], ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn sign(&self, dir: &Path, name: &str, sans: &[&str], usage: ExtendedKeyUsagePurpose) -> Pair {
        let sans: Vec<String> = sans.iter().map(ToString::to_string).collect();
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let pair = Pair {
            cert: dir.join(format!("{name}.pem")),
            key: dir.join(format!("{name}.key")),
        };
        std::fs::write(&pair.cert, cert.pem()).unwrap();
        std::fs::write(&pair.key, key.serialize_pem()).unwrap();
        pair
    }
}

/// What curl did: its exit code, the body and its error text.
#[derive(Debug)]
pub struct Curl {
    pub code: i32,
    pub body: String,
    pub stderr: String,
}

/// `curl -sS ARGS… URL` with a deadline; panics when curl is not installed.
pub fn curl(url: &str, args: &[&str]) -> Curl {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "--noproxy", "*"])
        .args(args)
        .arg(url)
        .output()
        .unwrap_or_else(|e| {
            panic!("curl is needed by this test (scripts/setup.sh installs it): {e}")
        });
    Curl {
        code: out.status.code().unwrap_or(-1),
        body: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `curl` trusting only `ca`.
pub fn curl_trusting(ca: &Path, url: &str, args: &[&str]) -> Curl {
    let mut all = vec!["--cacert", ca.to_str().unwrap()];
    all.extend_from_slice(args);
    curl(url, &all)
}
