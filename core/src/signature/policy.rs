//! What a target does with a module file before loading it: Gojinn's
//! `loadWasmSecurely`, with its three outcomes, plus an explicit `off`.

use core::fmt;

use serde::{Deserialize, Serialize};

use super::gjsig::{SignatureError, split, strip, verify_module};
use super::key::PublicKey;

/// How strictly module signatures are checked.
///
/// | policy | trusted keys | signature verifies | does not verify (or unsigned) |
/// |---|---|---|---|
/// | `off` | any | trailer stripped, loaded | trailer stripped, loaded |
/// | `audit` | none | trailer stripped, loaded (nothing to check against) | same |
/// | `audit` | some | loaded ([`Status::Verified`]) | warned, trailer stripped, loaded ([`Status::AuditFailed`]) |
/// | `strict` | none | refused: [`PolicyError::NoTrustedKeys`] | refused |
/// | `strict` | some | loaded | refused: [`PolicyError::Unverified`] |
///
/// `audit` and `strict` are Gojinn's (`security { policy … }`); Gojinn's
/// default, an empty policy, behaves as `audit`. `off` skips verification
/// even when keys are configured. Policies are ordered from `off` to
/// `strict`, so that the stricter of two is their `max`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// No verification; a trailer, if any, is stripped.
    #[default]
    Off,
    /// Verify, log a failure, run anyway.
    Audit,
    /// Refuse what is unsigned or signed by no trusted key.
    Strict,
}

impl Policy {
    /// `off`, `audit` or `strict`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Audit => "audit",
            Self::Strict => "strict",
        }
    }

    /// Parses `off`, `audit` or `strict`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Off, Self::Audit, Self::Strict]
            .into_iter()
            .find(|p| p.as_str() == text)
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A module file the policy lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked<'a> {
    /// The module to load: the file without its trailer.
    pub module: &'a [u8],
    /// What the check found (to log).
    pub status: Status,
}

/// What [`check`] found about a module it let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Status {
    /// Signed by the trusted key at this index.
    Verified {
        /// Index into the trusted keys.
        key: usize,
    },
    /// Not verified: the policy is `off`, or `audit` without trusted keys.
    NotChecked,
    /// `audit`: verification failed for this reason; loaded anyway.
    AuditFailed(SignatureError),
}

impl fmt::Display for Status {
    /// Gojinn's log messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Verified { .. } => f.write_str("Module Signature Verified"),
            Self::NotChecked => f.write_str("module signature not checked"),
            Self::AuditFailed(e) => write!(
                f,
                "Security Audit Failed (Allowing run due to audit policy): {e}"
            ),
        }
    }
}

/// A module file the policy refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PolicyError {
    /// `strict` and the module did not verify.
    Unverified(SignatureError),
    /// `strict` without trusted keys: nothing could ever load.
    NoTrustedKeys,
    /// A trailer follows another: the body that was signed is itself a
    /// signed file, which is not a module (Gojinn would hand it to the
    /// compiler and fail there). Refused under every policy.
    SignedTwice,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unverified(e) => write!(f, "module signature verification failed: {e}"),
            Self::NoTrustedKeys => {
                f.write_str("security policy is strict but no trusted keys are defined")
            }
            Self::SignedTwice => f.write_str(
                "module is signed twice (a signature trailer follows another): sign the unsigned module",
            ),
        }
    }
}

impl core::error::Error for PolicyError {}

/// Applies `policy` to a module file: the bytes to load and what was found,
/// or why the file is refused.
///
/// # Errors
///
/// [`PolicyError`]: refused under `strict`, or signed twice.
pub fn check<'a>(
    file: &'a [u8],
    policy: Policy,
    trusted: &[PublicKey],
) -> Result<Checked<'a>, PolicyError> {
    let checked = match (policy, trusted.is_empty()) {
        (Policy::Strict, true) => return Err(PolicyError::NoTrustedKeys),
        (Policy::Off, _) | (Policy::Audit, true) => Checked {
            module: strip(file),
            status: Status::NotChecked,
        },
        (Policy::Audit | Policy::Strict, false) => match verify_module(file, trusted) {
            Ok((module, key)) => Checked {
                module,
                status: Status::Verified { key },
            },
            Err(e) if policy == Policy::Strict => return Err(PolicyError::Unverified(e)),
            Err(e) => Checked {
                module: strip(file),
                status: Status::AuditFailed(e),
            },
        },
    };
    if split(checked.module).is_ok() {
        return Err(PolicyError::SignedTwice);
    }
    Ok(checked)
}
