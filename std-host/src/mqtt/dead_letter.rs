//! Dead letters: an MQTT message whose calls of a function all failed
//! (the first and its trigger's `retries`).
//!
//! Each is recorded in the gateway's database (table `mqtt_dead_letters`,
//! the newest [`KEPT`] records) and, when the trigger names a
//! `dead_letter` destination, published there through the outbox, in the
//! same transaction: the original payload, with user properties saying
//! which function failed how (`function`, `topic`, `attempts`, `error`,
//! `trace_id`, `message_id`). The message is then acknowledged, so that it
//! never blocks its subscription.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use jinn_core::{Message, Qos};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::config::mqtt::DeadLetterTo;
use crate::outbox::ReplyTo;

const TABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("mqtt_dead_letters");

/// Dead-letter records kept, at most: the oldest go first.
pub const KEPT: u64 = 1000;

/// One dead letter, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// When it was recorded, nanoseconds since the Unix epoch.
    pub time_ns: u64,
    /// The function whose calls failed.
    pub function: String,
    /// The connection the message came on.
    pub connection: String,
    /// Its topic.
    pub topic: String,
    /// Its QoS.
    pub qos: u8,
    /// Its payload, base64.
    pub payload: String,
    /// Calls made (the first and its retries).
    pub attempts: u32,
    /// The last call's error kind (`trap`, `out_of_fuel`, `timeout`…).
    pub error: String,
    /// The trace id of the calls.
    pub trace_id: String,
    /// The message id of the envelope (the same for a redelivery).
    pub message_id: String,
}

impl DeadLetter {
    /// The message published to `to`, and how: the original payload, the
    /// rest as user properties, QoS 1.
    pub fn publication(&self, to: &DeadLetterTo) -> (Message, ReplyTo) {
        let payload = BASE64.decode(&self.payload).unwrap_or_default();
        let properties = [
            ("function", self.function.clone()),
            ("connection", self.connection.clone()),
            ("topic", self.topic.clone()),
            ("attempts", self.attempts.to_string()),
            ("error", self.error.clone()),
            ("trace_id", self.trace_id.clone()),
            ("message_id", self.message_id.clone()),
        ];
        (
            Message {
                topic: to.topic_for(&self.function),
                payload,
                qos: Qos::AtLeastOnce,
            },
            ReplyTo {
                connection: to.connection.clone(),
                correlation_data: None,
                content_type: None,
                user_properties: properties
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            },
        )
    }
}

/// Writes `letter` inside `tx`, removing the oldest records beyond [`KEPT`].
///
/// # Errors
///
/// The database's.
pub fn record_in(tx: &redb::WriteTransaction, letter: &DeadLetter) -> Result<(), redb::Error> {
    let bytes = serde_json::to_vec(letter).map_err(|e| redb::Error::Corrupted(e.to_string()))?;
    let mut table = tx.open_table(TABLE)?;
    let next = table.last()?.map_or(0, |(k, _)| k.value() + 1);
    table.insert(next, bytes.as_slice())?;
    while table.len()? > KEPT {
        if table.pop_first()?.is_none() {
            break;
        }
    }
    Ok(())
}

/// The records of the database file `path` (the gateway stopped), oldest first.
///
/// # Errors
///
/// When the file cannot be opened or read.
pub fn read_file(path: &Path) -> Result<Vec<DeadLetter>, redb::Error> {
    let db = redb::Database::open(path)?;
    let tx = db.begin_read()?;
    let table = match tx.open_table(TABLE) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (_, value) = entry?;
        if let Ok(letter) = serde_json::from_slice(value.value()) {
            out.push(letter);
        }
    }
    Ok(out)
}

/// Retries and dead letters per function, for `/metrics`.
#[derive(Default)]
pub struct FailureStats {
    by_function: Mutex<BTreeMap<String, (u64, u64)>>,
}

impl FailureStats {
    /// Counters at 0 for `functions`.
    pub fn new<'a>(functions: impl IntoIterator<Item = &'a str>) -> Self {
        let stats = Self::default();
        for f in functions {
            stats.entry(f, |_| {});
        }
        stats
    }

    /// A failed call of `function` is made again.
    pub fn retried(&self, function: &str) {
        self.entry(function, |e| e.0 += 1);
    }

    /// A message of `function` was dead-lettered.
    pub fn dead_lettered(&self, function: &str) {
        self.entry(function, |e| e.1 += 1);
    }

    /// (function, retries, dead letters), by function name.
    pub fn snapshot(&self) -> Vec<(String, u64, u64)> {
        let map = self.by_function.lock().unwrap_or_else(|e| e.into_inner());
        map.iter().map(|(f, (r, d))| (f.clone(), *r, *d)).collect()
    }

    fn entry(&self, function: &str, f: impl FnOnce(&mut (u64, u64))) {
        let mut map = self.by_function.lock().unwrap_or_else(|e| e.into_inner());
        f(map.entry(function.to_string()).or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(n: u32) -> DeadLetter {
        DeadLetter {
            time_ns: 1,
            function: "f".into(),
            connection: "local".into(),
            topic: "in/x".into(),
            qos: 1,
            payload: BASE64.encode(b"boom"),
            attempts: n,
            error: "trap".into(),
            trace_id: "t".into(),
            message_id: "m".into(),
        }
    }

    #[test]
    fn records_are_kept_up_to_the_cap_oldest_going_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.redb");
        {
            let db = redb::Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            for n in 0..(KEPT as u32 + 5) {
                record_in(&tx, &letter(n)).unwrap();
            }
            tx.commit().unwrap();
        }
        let all = read_file(&path).unwrap();
        assert_eq!(all.len() as u64, KEPT);
        assert_eq!(all[0].attempts, 5);
        assert_eq!(all.last().unwrap().attempts, KEPT as u32 + 4);
    }

    #[test]
    fn the_publication_carries_the_payload_and_what_failed() {
        let to = DeadLetterTo {
            connection: "uplink".into(),
            topic: "jinn/dead/{function}".into(),
        };
        let (message, reply) = letter(3).publication(&to);
        assert_eq!(message.topic, "jinn/dead/f");
        assert_eq!(message.payload, b"boom");
        assert_eq!(reply.connection, "uplink");
        assert!(
            reply
                .user_properties
                .contains(&("attempts".to_string(), "3".to_string()))
        );
        assert!(
            reply
                .user_properties
                .contains(&("error".to_string(), "trap".to_string()))
        );
    }

    #[test]
    fn retries_and_dead_letters_are_counted_per_function() {
        let stats = FailureStats::default();
        stats.retried("a");
        stats.retried("a");
        stats.dead_lettered("a");
        stats.retried("b");
        assert_eq!(
            stats.snapshot(),
            [("a".to_string(), 2, 1), ("b".to_string(), 1, 0)]
        );
    }
}
