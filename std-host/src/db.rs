//! The gateway's redb file (`kv.redb`: KV and outbox): opened with an
//! integrity check, every operation contained, reopened after a failure.
//!
//! * **At start** an existing file of zero bytes is refused (it was
//!   truncated: redb would silently make an empty store of it), and redb's
//!   `check_integrity` verifies every page's checksum (of an existing file:
//!   one created by this open has none to verify); a file that fails it
//!   is refused with [`OpenError::Damaged`], whose message says how to
//!   recover — also when redb could repair it, since its repair goes back
//!   to an earlier commit (calls already answered may be lost).
//! * **Every operation** runs inside `catch_unwind`: a panic in redb (a
//!   damaged page it did not expect) fails that operation, never the
//!   process, and marks the store unhealthy.
//! * **After a failure** (a commit that hit a full disk, an I/O error, a
//!   panic) redb refuses every later write until the file is opened again;
//!   the store is marked unhealthy until a commit succeeds, and
//!   [`Db::recover`] — called by the gateway every second while unhealthy —
//!   reopens the file (with the same checks as at start: a file damaged
//!   while serving stays closed, every call failing `storage_unavailable`)
//!   and tries a commit, so writes resume as soon as space returns.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use redb::{Database, TableDefinition};

/// What a probe commit writes, to learn whether writes work again.
const HEALTH: TableDefinition<&str, u64> = TableDefinition::new("health");

/// Opening the store failed.
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
    /// The file is damaged (or empty where data was expected).
    #[error(
        "the KV database {path} is damaged ({why}); refusing to start. Recovery: stop \
         the gateway, move the file aside (keep it for analysis), then restore {path} \
         from a backup, or start without it to begin with an empty store (KV values \
         and unsent outbox messages are then lost)"
    )]
    Damaged {
        /// The file.
        path: String,
        /// What was found.
        why: String,
    },
}

/// A store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// redb returned an error (I/O, full disk, corruption).
    #[error("storage failed: {0}")]
    Failed(String),
    /// redb panicked; the panic was contained.
    #[error("storage panicked (contained)")]
    Panicked,
    /// The file is closed while it is being reopened, or could not be reopened.
    #[error("storage closed (reopening)")]
    Closed,
}

/// The redb database of a gateway, shared by the KV store and the outbox.
pub struct Db {
    path: PathBuf,
    db: RwLock<Option<Arc<Database>>>,
    healthy: AtomicBool,
}

impl Db {
    /// Opens (or creates) `kv.redb` in `dir`, checking its integrity.
    ///
    /// # Errors
    ///
    /// [`OpenError`] when the directory or file cannot be opened, or the
    /// file is damaged.
    pub fn open_dir(dir: &Path) -> Result<Self, OpenError> {
        std::fs::create_dir_all(dir).map_err(|source| OpenError::Dir {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join("kv.redb");
        let db = open_checked(&path)?;
        Ok(Self {
            path,
            db: RwLock::new(Some(Arc::new(db))),
            healthy: AtomicBool::new(true),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// False from a failed operation until a commit succeeds again.
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Marks the store unhealthy (a failure outside [`Db::run`] that means
    /// writes do not work).
    pub fn mark_failed(&self) {
        self.healthy.store(false, Ordering::Relaxed);
    }

    /// A commit went through: writes work.
    pub fn mark_healthy(&self) {
        self.healthy.store(true, Ordering::Relaxed);
    }

    /// Runs `op` on the database; a redb error or panic marks the store
    /// unhealthy.
    ///
    /// # Errors
    ///
    /// [`DbError`]; `op`'s own error is mapped through `Display`.
    pub fn run<T, E: std::fmt::Display>(
        &self,
        op: impl FnOnce(&Database) -> Result<T, E>,
    ) -> Result<T, DbError> {
        let db = self
            .db
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(DbError::Closed)?;
        let result = match catch_unwind(AssertUnwindSafe(|| op(&db))) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(DbError::Failed(e.to_string())),
            Err(_) => Err(DbError::Panicked),
        };
        if result.is_err() {
            self.mark_failed();
        }
        result
    }

    /// While unhealthy: closes the file, opens it again (redb refuses
    /// writes after an I/O error until then) and commits a probe; healthy
    /// again when that works. Does nothing while healthy.
    ///
    /// # Errors
    ///
    /// Why the store is still unhealthy.
    pub fn recover(&self) -> Result<(), DbError> {
        if self.healthy() {
            return Ok(());
        }
        {
            let mut slot = self.db.write().unwrap_or_else(|e| e.into_inner());
            if let Some(old) = slot.take() {
                // Operations in flight hold the old handle a moment longer;
                // redb's file lock forbids a second handle before it is dropped.
                let deadline = Instant::now() + Duration::from_secs(5);
                let mut old = old;
                loop {
                    match Arc::try_unwrap(old) {
                        Ok(db) => {
                            drop(db);
                            break;
                        }
                        Err(shared) if Instant::now() < deadline => {
                            old = shared;
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(shared) => {
                            *slot = Some(shared);
                            return Err(DbError::Failed("the old handle is still in use".into()));
                        }
                    }
                }
            }
            // Checked as at start: a file damaged under us stays closed.
            let db = open_checked(&self.path).map_err(|e| DbError::Failed(e.to_string()))?;
            *slot = Some(Arc::new(db));
        }
        self.run(|db| -> Result<(), redb::Error> {
            let tx = begin_write(db)?;
            {
                let mut table = tx.open_table(HEALTH)?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                table.insert("probe", now)?;
            }
            tx.commit()?;
            Ok(())
        })?;
        self.mark_healthy();
        Ok(())
    }
}

/// A write transaction that commits in two phases (two fsyncs): a commit
/// cut short by a crash can then never be mistaken for damage, nor damage
/// to the newest commit for a cut-short one — redb refuses the file instead
/// of silently going back to the commit before (an answered call's).
pub(crate) fn begin_write(db: &Database) -> Result<redb::WriteTransaction, redb::Error> {
    let mut tx = db.begin_write()?;
    tx.set_two_phase_commit(true);
    Ok(tx)
}

/// Opens `path`, refusing a truncated file and one that fails redb's check.
fn open_checked(path: &Path) -> Result<Database, OpenError> {
    let shown = path.display().to_string();
    let damaged = |why: String| OpenError::Damaged {
        path: shown.clone(),
        why,
    };
    let existed = match std::fs::metadata(path) {
        Ok(m) if m.len() == 0 => return Err(damaged("the file is empty".into())),
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    };
    let opened = catch_unwind(AssertUnwindSafe(|| Database::create(path)))
        .map_err(|_| damaged("redb panicked opening it".into()))?;
    let mut db = match opened {
        Ok(db) => db,
        Err(redb::DatabaseError::Storage(redb::StorageError::Corrupted(why))) => {
            return Err(damaged(why));
        }
        // Not a redb file (e.g. a zeroed header).
        Err(redb::DatabaseError::Storage(redb::StorageError::Io(e)))
            if e.kind() == std::io::ErrorKind::InvalidData =>
        {
            return Err(damaged(e.to_string()));
        }
        Err(source) => {
            return Err(OpenError::Database {
                path: shown,
                source: Box::new(source),
            });
        }
    };
    if !existed {
        // Created just now: no page to check (the check would only add
        // syncs to disk to every first start).
        return Ok(db);
    }
    match catch_unwind(AssertUnwindSafe(|| db.check_integrity())) {
        Ok(Ok(true)) => Ok(db),
        // redb repaired it by going back to an earlier state: the last
        // commits — calls already answered — may be gone. Said once, loudly.
        Ok(Ok(false)) => Err(damaged(
            "it failed the integrity check; redb repaired it in place by going back to \
             its previous commit, so the last writes may be lost, and the next start \
             will use the repaired file"
                .into(),
        )),
        Ok(Err(e)) => Err(damaged(e.to_string())),
        Err(_) => Err(damaged("redb panicked checking it".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_the_store_fails_the_operation_not_the_process() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_dir(dir.path()).unwrap();
        assert!(db.healthy());
        let result = db.run(|_| -> Result<(), redb::Error> { panic!("a damaged page") });
        assert_eq!(result, Err(DbError::Panicked));
        assert!(!db.healthy(), "unhealthy until a commit works");
        db.recover().unwrap();
        assert!(db.healthy(), "reopened, and a probe committed");
        assert_eq!(db.run(|_| -> Result<u8, redb::Error> { Ok(7) }), Ok(7));
    }

    #[test]
    fn damaged_files_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        drop(Db::open_dir(dir.path()).unwrap());
        let file = dir.path().join("kv.redb");
        std::fs::write(&file, vec![0; 8192]).unwrap();
        let e = Db::open_dir(dir.path()).err().unwrap();
        assert!(matches!(e, OpenError::Damaged { .. }), "{e}");
        std::fs::write(&file, b"").unwrap();
        let e = Db::open_dir(dir.path()).err().unwrap().to_string();
        assert!(e.contains("is damaged (the file is empty)"), "{e}");
        assert!(e.contains("Recovery:"), "{e}");
    }
}
