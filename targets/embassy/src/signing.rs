//! Which policy and keys a device checks module signatures with, and the
//! check itself (jinn-core's [`signature::check`]), done on every load of a
//! module from flash: at boot and whenever an evicted module is compiled again.
//!
//! - Policy: the stricter of the firmware's and the device settings'.
//! - Keys: the firmware's when it has some (the settings cannot add one),
//!   else the settings'. Keys that are not curve points are dropped with an
//!   error.

use jinn_core::signature::{self, Policy, PolicyError, PublicKey, Status};

use crate::config::{Config, MAX_TRUSTED_KEYS};
use crate::record::DeviceSettings;

/// The signature check of one device.
pub(crate) struct Signing {
    policy: Policy,
    trusted: heapless::Vec<PublicKey, MAX_TRUSTED_KEYS>,
}

impl Signing {
    pub(crate) fn new(config: &Config, settings: &DeviceSettings) -> Self {
        let policy = config.signature_policy.max(settings.signature_policy);
        let keys = if config.trusted_keys.is_empty() {
            &settings.trusted_keys[..]
        } else {
            if !settings.trusted_keys.is_empty() {
                warn!("signatures: the firmware's trusted keys are used, the settings' ignored");
            }
            config.trusted_keys
        };
        let mut trusted = heapless::Vec::new();
        for bytes in keys.iter().take(MAX_TRUSTED_KEYS) {
            match PublicKey::from_bytes(bytes) {
                Ok(key) => {
                    let _ = trusted.push(key);
                }
                Err(e) => error!("signatures: trusted key dropped: {}", e),
            }
        }
        if policy != Policy::Off {
            info!(
                "signatures: policy {}, {} trusted keys",
                policy.as_str(),
                trusted.len()
            );
        }
        Self { policy, trusted }
    }

    /// The module to compile out of a module file of function `name`, or
    /// why the policy refuses it (logged).
    pub(crate) fn check<'a>(&self, name: &str, file: &'a [u8]) -> Result<&'a [u8], PolicyError> {
        match signature::check(file, self.policy, &self.trusted) {
            Ok(checked) => {
                match checked.status {
                    Status::Verified { .. } => debug!("function {}: {}", name, checked.status),
                    Status::AuditFailed(_) => warn!("function {}: {}", name, checked.status),
                    Status::NotChecked => {}
                }
                Ok(checked.module)
            }
            Err(e) => {
                error!("function {}: {}", name, e);
                Err(e)
            }
        }
    }
}
