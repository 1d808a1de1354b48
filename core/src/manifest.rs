//! What the host says about one function: limits, permissions, environment.
//!
//! A manifest is serde-serializable so targets can keep it in a config file
//! (TOML on gateways) or in flash (postcard on microcontrollers). Environment
//! values may be secrets: [`Manifest`]'s `Debug` never prints them.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::limits::Limits;
use crate::permissions::Permissions;

/// Limits, permissions and environment of one function.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Manifest {
    /// Resource limits per call.
    pub limits: Limits,
    /// KV and publish allowlists.
    pub permissions: Permissions,
    /// `environ` of the guest, in order. Values are never logged.
    pub env: Vec<(String, String)>,
    /// `argv` of the guest (empty by default, as in Gojinn).
    pub args: Vec<String>,
}

impl fmt::Debug for Manifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Redacted<'a>(&'a [(String, String)]);
        impl fmt::Debug for Redacted<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(k, _)| (k, "<redacted>")))
                    .finish()
            }
        }
        f.debug_struct("Manifest")
            .field("limits", &self.limits)
            .field("permissions", &self.permissions)
            .field("env", &Redacted(&self.env))
            .field("args", &self.args)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn debug_never_shows_env_values() {
        let m = Manifest {
            env: alloc::vec![("API_TOKEN".into(), "s3cr3t-value".into())],
            ..Manifest::default()
        };
        let shown = format!("{m:?}");
        assert!(shown.contains("API_TOKEN"));
        assert!(!shown.contains("s3cr3t-value"));
    }
}
