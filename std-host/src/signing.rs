//! `jinn keygen`, `jinn sign` and `jinn verify`: Ed25519 keys and signed
//! modules in Gojinn's formats, so that its key files and signed modules
//! work here and Jinn's work with Gojinn.
//!
//! - A public key file holds 64 hex digits; a private key file 128: Go's
//!   `ed25519.PrivateKey`, the 32-byte seed followed by the public key. Both
//!   are written without a newline (Gojinn's parser does not accept one) and
//!   with mode 0600, as Gojinn's signer does.
//! - A signed module is `module ‖ signature (64 bytes) ‖ "GJSIG"`, the
//!   signature covering the module's bytes ([`jinn_core::signature`]).
//!
//! Exit codes: 0 done (verified), 1 not verified, 2 usage or I/O errors.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ed25519_dalek::{Signer, SigningKey};
use jinn_core::signature::{
    self, Checked, FOOTER, KeyError, Policy, PolicyError, PublicKey, Status, decode_hex,
};
use zeroize::Zeroizing;

use crate::cli::{KeygenArgs, SignArgs, VerifyArgs};

/// Length of a private key file's bytes: seed and public key.
const PRIVATE_KEY_LEN: usize = 64;

fn usage(command: &str, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("jinn {command}: {message}");
    ExitCode::from(2)
}

fn hex(bytes: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(bytes.len() * 2));
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A key file or module could not be used. Messages name the file and what
/// is wrong, never a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file does not hold a key.
    #[error("{}: {source}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        source: KeyError,
    },
    /// A private key of the wrong size.
    #[error("{}: invalid private key size (expected {PRIVATE_KEY_LEN}, got {len})", path.display())]
    PrivateKeySize {
        /// The file.
        path: PathBuf,
        /// Bytes it holds.
        len: usize,
    },
    /// A private key whose public half does not match its seed.
    #[error("{}: the public half of the private key does not match its seed", path.display())]
    Mismatch {
        /// The file.
        path: PathBuf,
    },
    /// A trusted key on the command line is neither a file nor hex.
    #[error("{text:?} is neither a key file nor a key: {source}")]
    NotAKey {
        /// What was given.
        text: String,
        /// Why it is not a key.
        source: KeyError,
    },
    /// The module to sign has a bad signature trailer.
    #[error(transparent)]
    Signature(#[from] PolicyError),
    /// The module to sign is not WebAssembly.
    #[error("not a WebAssembly binary (no \\0asm header)")]
    NotWasm,
}

/// Reads a private key file (Gojinn's `.priv` or `jinn keygen`'s).
///
/// # Errors
///
/// [`KeyFileError`] naming the file and what is wrong (never the key).
pub fn read_private_key(path: &Path) -> Result<SigningKey, KeyFileError> {
    let at = || path.to_path_buf();
    let text = Zeroizing::new(
        fs::read_to_string(path).map_err(|source| KeyFileError::Read { path: at(), source })?,
    );
    let mut bytes = Zeroizing::new([0u8; PRIVATE_KEY_LEN]);
    let len = decode_hex(text.trim_ascii(), &mut bytes[..])
        .map_err(|source| KeyFileError::Key { path: at(), source })?;
    if len != PRIVATE_KEY_LEN {
        return Err(KeyFileError::PrivateKeySize { path: at(), len });
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&bytes[..32]);
    let key = SigningKey::from_bytes(&seed);
    if key.verifying_key().as_bytes()[..] != bytes[32..] {
        return Err(KeyFileError::Mismatch { path: at() });
    }
    Ok(key)
}

/// Signs a module: `module ‖ signature ‖ "GJSIG"`. A trailer the file
/// already has is replaced, as Gojinn's `SignWasm` does.
///
/// # Errors
///
/// [`KeyFileError`] when the file is not a WebAssembly binary or its
/// trailer is bad.
pub fn sign_module(file: &[u8], key: &SigningKey) -> Result<Vec<u8>, KeyFileError> {
    let module = signature::check(file, Policy::Off, &[])?.module;
    if !module.starts_with(b"\0asm") {
        return Err(KeyFileError::NotWasm);
    }
    let signature = key.sign(module).to_bytes();
    let mut out = Vec::with_capacity(module.len() + signature::TRAILER_LEN);
    out.extend_from_slice(module);
    out.extend_from_slice(&signature);
    out.extend_from_slice(&FOOTER);
    Ok(out)
}

/// Writes `bytes` with `mode`, never over an existing file unless `force`.
fn write_new(path: &Path, bytes: &[u8], force: bool) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).mode(0o600);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Replaces `path` with `bytes` atomically (a gateway watching it never
/// sees half a module), keeping the permissions of `like` when it exists.
fn replace(path: &Path, bytes: &[u8], like: &Path) -> std::io::Result<()> {
    let mode = fs::metadata(like).map_or(0o644, |m| m.permissions().mode() & 0o7777);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.jinn-sign.{}", std::process::id()));
    let written = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// `jinn keygen`.
pub fn keygen(args: KeygenArgs) -> ExitCode {
    let mut seed = Zeroizing::new([0u8; 32]);
    if let Err(e) = getrandom::fill(&mut seed[..]) {
        return usage("keygen", format!("no entropy: {e}"));
    }
    let key = SigningKey::from_bytes(&seed);
    let public = key.verifying_key().to_bytes();
    let mut private = Zeroizing::new([0u8; PRIVATE_KEY_LEN]);
    private[..32].copy_from_slice(&seed[..]);
    private[32..].copy_from_slice(&public);
    let with = |ext: &str| {
        let mut p = args.name.clone().into_os_string();
        p.push(ext);
        PathBuf::from(p)
    };
    let (priv_path, pub_path) = (with(".priv"), with(".pub"));
    for (path, text) in [(&priv_path, hex(&private[..])), (&pub_path, hex(&public))] {
        if let Err(e) = write_new(path, text.as_bytes(), args.force) {
            return usage("keygen", format!("cannot write {}: {e}", path.display()));
        }
    }
    eprintln!(
        "keys written: {} (secret) and {}",
        priv_path.display(),
        pub_path.display()
    );
    println!("{}", &*hex(&public));
    ExitCode::SUCCESS
}

/// `jinn sign`.
pub fn sign(args: SignArgs) -> ExitCode {
    let key = match read_private_key(&args.key) {
        Ok(k) => k,
        Err(e) => return usage("sign", e),
    };
    let file = match fs::read(&args.module) {
        Ok(b) => b,
        Err(e) => {
            return usage(
                "sign",
                format!("cannot read {}: {e}", args.module.display()),
            );
        }
    };
    let signed = match sign_module(&file, &key) {
        Ok(s) => s,
        Err(e) => return usage("sign", format!("{}: {e}", args.module.display())),
    };
    let out = args.out.as_ref().unwrap_or(&args.module);
    if let Err(e) = replace(out, &signed, &args.module) {
        return usage("sign", format!("cannot write {}: {e}", out.display()));
    }
    println!(
        "signed {} ({} bytes) with key {}",
        out.display(),
        signed.len(),
        PublicKey::from_bytes(key.verifying_key().as_bytes())
            .map(|k| k.to_string())
            .unwrap_or_default()
    );
    ExitCode::SUCCESS
}

/// A trusted key given on the command line: hex digits or a key file.
fn trusted_key(text: &str) -> Result<PublicKey, KeyFileError> {
    let path = Path::new(text);
    if path.exists() {
        let content = fs::read_to_string(path).map_err(|source| KeyFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        PublicKey::from_hex(&content).map_err(|source| KeyFileError::Key {
            path: path.to_path_buf(),
            source,
        })
    } else {
        PublicKey::from_hex(text).map_err(|source| KeyFileError::NotAKey {
            text: text.into(),
            source,
        })
    }
}

/// `jinn verify`.
pub fn verify(args: VerifyArgs) -> ExitCode {
    let mut trusted = Vec::new();
    for k in &args.trusted_keys {
        match trusted_key(k) {
            Ok(key) => trusted.push(key),
            Err(e) => return usage("verify", e),
        }
    }
    let file = match fs::read(&args.module) {
        Ok(b) => b,
        Err(e) => {
            return usage(
                "verify",
                format!("cannot read {}: {e}", args.module.display()),
            );
        }
    };
    match signature::check(&file, Policy::Strict, &trusted) {
        Ok(Checked {
            module,
            status: Status::Verified { key },
        }) => {
            println!(
                "verified: {} ({} bytes of module) signed by {}",
                args.module.display(),
                module.len(),
                trusted[key]
            );
            ExitCode::SUCCESS
        }
        Ok(other) => {
            eprintln!("jinn verify: {}: {}", args.module.display(), other.status);
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("jinn verify: {}: {e}", args.module.display());
            ExitCode::from(1)
        }
    }
}
