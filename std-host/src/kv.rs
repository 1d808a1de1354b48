//! KV stores behind `host_kv_*`: a durable one on redb, and one in memory.
//!
//! redb is a pure-Rust, ACID, copy-on-write B-tree in one file: a committed
//! write survives a power cut or `kill -9`, and it needs no C toolchain or
//! separate service on a gateway.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use jinn_core::KvError;
use redb::{Database, ReadableDatabase, TableDefinition};

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("kv");

/// Opening a store failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The directory could not be created.
    #[error("cannot create {path}: {source}")]
    Dir {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// redb refused the file.
    #[error("cannot open the KV database {path}: {source}")]
    Database {
        /// The file.
        path: String,
        /// Why.
        source: Box<redb::DatabaseError>,
    },
}

/// A shared KV store handle; cheap to clone.
#[derive(Clone)]
pub enum Kv {
    /// Durable, in a redb file.
    Durable(Arc<Database>),
    /// In memory, gone with the process.
    Memory(Arc<Mutex<BTreeMap<String, Vec<u8>>>>),
}

impl Kv {
    /// A store in memory.
    pub fn memory() -> Self {
        Self::Memory(Arc::default())
    }

    /// Opens (or creates) the durable store `kv.redb` in `dir`.
    ///
    /// # Errors
    ///
    /// [`OpenError`] when the directory or the database cannot be opened.
    pub fn open_dir(dir: &Path) -> Result<Self, OpenError> {
        std::fs::create_dir_all(dir).map_err(|source| OpenError::Dir {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join("kv.redb");
        let db = Database::create(&path).map_err(|source| OpenError::Database {
            path: path.display().to_string(),
            source: Box::new(source),
        })?;
        Ok(Self::Durable(Arc::new(db)))
    }

    /// The redb database of a durable store (shared with the outbox).
    pub fn database(&self) -> Option<&Arc<Database>> {
        match self {
            Self::Durable(db) => Some(db),
            Self::Memory(_) => None,
        }
    }

    /// Reads `key` into `value`.
    ///
    /// # Errors
    ///
    /// [`KvError::Io`] when the database fails.
    pub fn get(&self, key: &str, value: &mut Vec<u8>) -> Result<bool, KvError> {
        value.clear();
        match self {
            Self::Memory(map) => {
                let map = map.lock().map_err(|_| KvError::Io)?;
                Ok(map.get(key).map(|v| value.extend_from_slice(v)).is_some())
            }
            Self::Durable(db) => {
                let tx = db.begin_read().map_err(|_| KvError::Io)?;
                let table = match tx.open_table(TABLE) {
                    Ok(t) => t,
                    Err(redb::TableError::TableDoesNotExist(_)) => return Ok(false),
                    Err(_) => return Err(KvError::Io),
                };
                let found = table.get(key).map_err(|_| KvError::Io)?;
                Ok(found.map(|v| value.extend_from_slice(v.value())).is_some())
            }
        }
    }

    /// Writes `key` and commits durably before returning.
    ///
    /// # Errors
    ///
    /// [`KvError::Io`] when the database fails.
    pub fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        match self {
            Self::Memory(map) => {
                map.lock()
                    .map_err(|_| KvError::Io)?
                    .insert(key.into(), value.to_vec());
                Ok(())
            }
            Self::Durable(db) => {
                let tx = db.begin_write().map_err(|_| KvError::Io)?;
                {
                    let mut table = tx.open_table(TABLE).map_err(|_| KvError::Io)?;
                    table.insert(key, value).map_err(|_| KvError::Io)?;
                }
                tx.commit().map_err(|_| KvError::Io)
            }
        }
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
