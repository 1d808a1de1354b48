//! Counters of one call, reported with its outcome.

/// What a call did through the host ABI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CallStats {
    /// `host_kv_get` calls that reached the store.
    pub kv_reads: u32,
    /// `host_kv_set` calls that reached the store.
    pub kv_writes: u32,
    /// KV calls refused by the permissions or the key/value caps.
    pub kv_denied: u32,
    /// KV calls the store failed.
    pub kv_errors: u32,
    /// Messages accepted by the publisher.
    pub published: u32,
    /// Publishes refused (permissions, caps, publisher errors).
    pub publish_refused: u32,
    /// `host_log` lines passed on.
    pub log_lines: u32,
    /// `host_log` lines dropped over the per-call cap.
    pub log_dropped: u32,
}
