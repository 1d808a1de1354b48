//! Signed modules: Ed25519 signatures checked against trusted keys, in the
//! format of Gojinn's signer, and the load policy (`off`, `audit`, `strict`).
//!
//! A signed module is Gojinn's layout:
//!
//! ```text
//! wasm bytes || Ed25519 signature of the wasm bytes (64 bytes) || "GJSIG"
//! ```
//!
//! - [`key`]: [`PublicKey`] (32 bytes, hex in files and configs) and
//!   [`verify`], the one Ed25519 check of the project, also meant for other
//!   signed documents (fleet manifests).
//! - [`gjsig`]: finding, stripping and verifying the trailer exactly as Gojinn
//!   (`StripSignature`, `VerifyWasm`), with its error messages.
//! - [`policy`]: what a target does with a module file before loading it
//!   ([`Policy`], [`check`]): Gojinn's `loadWasmSecurely`, plus `off`.
//!
//! Verification is `no_std`, allocation-free and the same on gateways and
//! microcontrollers. Signing needs a secret key and stays on hosts.

pub mod gjsig;
pub mod key;
pub mod policy;

pub use gjsig::{
    FOOTER, SIGNATURE_LEN, SignatureError, TRAILER_LEN, Trailer, split, strip, verify_module,
};
pub use key::{KeyError, PUBLIC_KEY_LEN, PublicKey, decode_hex, verify};
pub use policy::{Checked, Policy, PolicyError, Status, check};
