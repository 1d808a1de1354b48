//! KV stores behind `host_kv_get`: a durable one on redb, and one in memory.
//!
//! redb is a pure-Rust, ACID, copy-on-write B-tree in one file: a committed
//! write survives a power cut or `kill -9`, and it needs no C toolchain or
//! separate service on a gateway. Calls never write here directly: the core
//! stages their writes and [`crate::txn`] commits them with their outbox
//! entries in one transaction.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use jinn_core::KvError;
use redb::{ReadableDatabase, TableDefinition};

use crate::db::Db;
pub use crate::db::OpenError;

/// The KV table: key → value.
pub(crate) const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("kv");

/// A shared KV store handle; cheap to clone.
#[derive(Clone)]
pub enum Kv {
    /// Durable, in a redb file.
    Durable(Arc<Db>),
    /// In memory, gone with the process.
    Memory(Arc<Mutex<BTreeMap<String, Vec<u8>>>>),
}

impl Kv {
    /// A store in memory.
    pub fn memory() -> Self {
        Self::Memory(Arc::default())
    }

    /// Opens (or creates) the durable store `kv.redb` in `dir`, checking
    /// its integrity ([`Db::open_dir`]).
    ///
    /// # Errors
    ///
    /// [`OpenError`] when the directory or the database cannot be opened,
    /// or the file is damaged.
    pub fn open_dir(dir: &Path) -> Result<Self, OpenError> {
        Db::open_dir(dir).map(|db| Self::Durable(Arc::new(db)))
    }

    /// The redb database of a durable store (shared with the outbox).
    pub fn db(&self) -> Option<&Arc<Db>> {
        match self {
            Self::Durable(db) => Some(db),
            Self::Memory(_) => None,
        }
    }

    /// False while a durable store is failing (see [`Db::healthy`]).
    pub fn healthy(&self) -> bool {
        self.db().is_none_or(|db| db.healthy())
    }

    /// Reads `key` into `value`.
    ///
    /// # Errors
    ///
    /// [`KvError::Io`] when the database fails (or panics: contained).
    pub fn get(&self, key: &str, value: &mut Vec<u8>) -> Result<bool, KvError> {
        value.clear();
        match self {
            Self::Memory(map) => {
                let map = map.lock().map_err(|_| KvError::Io)?;
                Ok(map.get(key).map(|v| value.extend_from_slice(v)).is_some())
            }
            Self::Durable(db) => db
                .run(|db| -> Result<bool, redb::Error> {
                    let tx = db.begin_read()?;
                    let table = match tx.open_table(TABLE) {
                        Ok(t) => t,
                        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(false),
                        Err(e) => return Err(e.into()),
                    };
                    let found = table.get(key)?;
                    Ok(found.map(|v| value.extend_from_slice(v.value())).is_some())
                })
                .map_err(|_| KvError::Io),
        }
    }

    /// Writes `key` alone, committed before returning (seeding a store:
    /// replays, tests; calls commit through [`crate::txn`]).
    ///
    /// # Errors
    ///
    /// [`KvError::Io`] when the database fails.
    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        let staged = jinn_core::Staged {
            writes: BTreeMap::from([(key.to_string(), value.to_vec())]),
            ..jinn_core::Staged::default()
        };
        crate::txn::commit(self, None, "", "", &staged).map_err(|_| KvError::Io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durable_values_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let mut buf = Vec::new();
        {
            let kv = Kv::open_dir(dir.path()).unwrap();
            assert!(!kv.get("a", &mut buf).unwrap());
            kv.set("a", b"\x00\xffbinary").unwrap();
        }
        let kv = Kv::open_dir(dir.path()).unwrap();
        assert!(kv.get("a", &mut buf).unwrap());
        assert_eq!(buf, b"\x00\xffbinary");
    }

    #[test]
    fn memory_store_round_trips() {
        let kv = Kv::memory();
        let mut buf = Vec::new();
        kv.set("k", b"v").unwrap();
        assert!(kv.get("k", &mut buf).unwrap());
        assert_eq!(buf, b"v");
        assert!(!kv.get("other", &mut buf).unwrap());
    }
}
