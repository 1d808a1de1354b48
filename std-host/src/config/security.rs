//! `[security]` and a function's `security`: the signature policy and the
//! trusted keys each module file is checked against before it is loaded.

use jinn_core::signature::{KeyError, Policy, PublicKey};
use toml::Spanned;

use super::SignatureSpec;
use super::raw::RawSecurity;
use super::validate::Validator;
use super::values::KeySource;

/// `[security]` as written, resolved: what functions inherit.
pub(super) struct Inherited {
    policy: Option<Policy>,
    trusted: Vec<PublicKey>,
}

impl Validator<'_> {
    /// The gateway's `[security]`.
    pub(super) fn security(&mut self, raw: &RawSecurity) -> Inherited {
        let policy = self.policy(raw, "security.policy");
        let trusted = self.trusted_keys(raw, "security.trusted_keys");
        let spec = resolve(policy, trusted.clone());
        if spec.policy == Policy::Strict && spec.trusted.is_empty() {
            let span = raw.policy.as_ref().map_or(0..0, Spanned::span);
            self.err(span, "security.policy", NO_KEYS);
        }
        Inherited {
            policy,
            trusted: trusted.unwrap_or_default(),
        }
    }

    /// A function's `security`, over what the gateway's says.
    pub(super) fn function_security(
        &mut self,
        i: usize,
        raw: &RawSecurity,
        inherited: &Inherited,
    ) -> SignatureSpec {
        let key = |k: &str| format!("function[{i}].security.{k}");
        let policy = self.policy(raw, &key("policy"));
        let trusted = self.trusted_keys(raw, &key("trusted_keys"));
        let overrides = policy.is_some() || trusted.is_some();
        let spec = resolve(
            policy.or(inherited.policy),
            Some(trusted.unwrap_or_else(|| inherited.trusted.clone())),
        );
        // Without an override the gateway's own check already said it.
        if overrides && spec.policy == Policy::Strict && spec.trusted.is_empty() {
            let span = raw
                .policy
                .as_ref()
                .map(Spanned::span)
                .or_else(|| raw.trusted_keys.as_ref().map(Spanned::span))
                .unwrap_or(0..0);
            let k = if raw.policy.is_some() {
                "policy"
            } else {
                "trusted_keys"
            };
            self.err(span, key(k), NO_KEYS);
        }
        spec
    }

    fn policy(&mut self, raw: &RawSecurity, key: &str) -> Option<Policy> {
        let p = raw.policy.as_ref()?;
        let parsed = Policy::parse(p.get_ref());
        if parsed.is_none() {
            self.err(
                p.span(),
                key,
                format!(
                    "unknown policy {:?} (use \"off\", \"audit\" or \"strict\")",
                    p.get_ref()
                ),
            );
        }
        parsed
    }

    fn trusted_keys(&mut self, raw: &RawSecurity, key: &str) -> Option<Vec<PublicKey>> {
        let list = raw.trusted_keys.as_ref()?;
        let mut keys = Vec::new();
        for (n, k) in list.get_ref().iter().enumerate() {
            let key = format!("{key}[{n}]");
            let parsed = match k.get_ref() {
                KeySource::Hex(hex) => PublicKey::from_hex(hex).map_err(|e| explain(e, "")),
                KeySource::File(file) => {
                    let path = self.source.base.join(file);
                    std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))
                        .and_then(|text| {
                            PublicKey::from_hex(&text)
                                .map_err(|e| explain(e, &format!("{}: ", path.display())))
                        })
                }
            };
            match parsed {
                Ok(k) => keys.push(k),
                Err(message) => self.err(k.span(), key, message),
            }
        }
        Some(keys)
    }
}

const NO_KEYS: &str = "security policy is strict but no trusted keys are defined";

/// Gojinn's defaults: `audit` when there are trusted keys, else nothing to check.
fn resolve(policy: Option<Policy>, trusted: Option<Vec<PublicKey>>) -> SignatureSpec {
    let trusted = trusted.unwrap_or_default();
    let policy = policy.unwrap_or(if trusted.is_empty() {
        Policy::Off
    } else {
        Policy::Audit
    });
    SignatureSpec { policy, trusted }
}

fn explain(e: KeyError, prefix: &str) -> String {
    match e {
        KeyError::Size { got: 64 } => format!("{prefix}{e} (a private key? trust the .pub file)"),
        _ => format!("{prefix}{e}"),
    }
}
