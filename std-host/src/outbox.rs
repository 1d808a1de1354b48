//! The outbox: messages published by functions, kept durably until the MQTT
//! bridge (a later component) drains them.
//!
//! Each call's staged messages (`Outcome::staged`) are appended in one redb
//! transaction after the call ends, before its HTTP response is sent, whatever the call's outcome (a
//! publish the guest saw accepted stays accepted). Keys are increasing
//! sequence numbers; values are JSON:
//! `{"time_ns","function","trace_id","topic","qos","payload"}` with the
//! payload in standard base64. The outbox holds at most `outbox.max_messages`;
//! when it is full, `publish` returns "queue full" (`-3`) to the guest.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::Serialize;

use crate::kv::Kv;
use jinn_core::Message;

const TABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");

/// The outbox, or a counter when the KV store is in memory.
pub struct Outbox {
    db: Option<Arc<Database>>,
    len: AtomicU64,
    max: u64,
}

#[derive(Serialize)]
struct Record<'a> {
    time_ns: u64,
    function: &'a str,
    trace_id: &'a str,
    topic: &'a str,
    qos: u8,
    payload: String,
}

/// The outbox could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("outbox: {0}")]
pub struct OutboxError(String);

fn err(e: impl std::fmt::Display) -> OutboxError {
    OutboxError(e.to_string())
}

impl Outbox {
    /// Opens the outbox table in the KV store's database.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the table cannot be read.
    pub fn open(kv: &Kv, max: u64) -> Result<Self, OutboxError> {
        let db = kv.database().cloned();
        let mut len = 0;
        if let Some(db) = &db {
            let tx = db.begin_read().map_err(err)?;
            match tx.open_table(TABLE) {
                Ok(t) => len = t.len().map_err(err)?,
                Err(redb::TableError::TableDoesNotExist(_)) => {}
                Err(e) => return Err(err(e)),
            }
        }
        Ok(Self {
            db,
            len: AtomicU64::new(len),
            max,
        })
    }

    /// Messages stored.
    pub fn len(&self) -> u64 {
        self.len.load(Ordering::Relaxed)
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Messages that still fit (read at the start of a call; concurrent calls
    /// may overshoot by what they publish at once).
    pub fn room(&self) -> usize {
        usize::try_from(self.max.saturating_sub(self.len())).unwrap_or(usize::MAX)
    }

    /// Appends one call's messages in one transaction.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the database fails; nothing is appended then.
    pub fn append(
        &self,
        function: &str,
        trace_id: &str,
        messages: &[Message],
    ) -> Result<(), OutboxError> {
        if messages.is_empty() {
            return Ok(());
        }
        let Some(db) = &self.db else {
            self.len.fetch_add(messages.len() as u64, Ordering::Relaxed);
            return Ok(());
        };
        let time_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let tx = db.begin_write().map_err(err)?;
        {
            let mut table = tx.open_table(TABLE).map_err(err)?;
            let first = table.last().map_err(err)?.map_or(0, |(k, _)| k.value() + 1);
            for (key, m) in (first..).zip(messages) {
                let record = Record {
                    time_ns,
                    function,
                    trace_id,
                    topic: &m.topic,
                    qos: m.qos as u8,
                    payload: BASE64.encode(&m.payload),
                };
                let bytes = serde_json::to_vec(&record).map_err(err)?;
                table.insert(key, bytes.as_slice()).map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        self.len.fetch_add(messages.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jinn_core::Qos;

    #[test]
    fn messages_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let msg = Message {
            topic: "alerts/t1".into(),
            payload: vec![0, 255],
            qos: Qos::AtLeastOnce,
        };
        {
            let kv = Kv::open_dir(dir.path()).unwrap();
            let outbox = Outbox::open(&kv, 3).unwrap();
            outbox
                .append("f", "t", &[msg.clone(), msg.clone()])
                .unwrap();
            assert_eq!(outbox.room(), 1);
        }
        let kv = Kv::open_dir(dir.path()).unwrap();
        let outbox = Outbox::open(&kv, 3).unwrap();
        assert_eq!(outbox.len(), 2);
        outbox.append("f", "t", &[msg]).unwrap();
        assert_eq!(outbox.room(), 0);
    }
}
