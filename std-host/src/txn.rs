//! One transaction per call: what a successful call staged (KV writes,
//! published messages) is committed at once, after checking that what it
//! read still holds and that its messages fit its outbox share — or not at
//! all.
//!
//! On the durable store this is one redb write transaction (redb has one
//! writer at a time, so the check and the writes see the same state), made
//! durable before the call is answered. The outbox's counts stay locked
//! across it, so two commits never spend the same room. A read-only call
//! that read several keys is checked in a read transaction (one snapshot).
//! When a read no longer holds or the room is gone, the commit is refused
//! with [`CommitError::Conflict`] and nothing is written: the gateway runs
//! the call again in a fresh sandbox ([`crate::call`]).

use jinn_core::Staged;
use redb::{ReadableDatabase, ReadableTable};

use crate::db::DbError;
use crate::kv::{Kv, TABLE};
use crate::outbox::{Outbox, Share};

/// A commit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitError {
    /// Another call changed what this one read, or took the outbox room it
    /// used: nothing was written; run the call again.
    #[error("conflict: a value the call read changed, or its outbox room was taken")]
    Conflict,
    /// The store failed (full disk, I/O error, contained panic): nothing
    /// was written.
    #[error("{0}")]
    Unavailable(DbError),
}

/// Commits `staged`, the outcome of a successful call of `function`.
///
/// # Errors
///
/// [`CommitError`]; nothing of `staged` is kept then.
pub fn commit(
    kv: &Kv,
    outbox: Option<&Outbox>,
    function: &str,
    trace_id: &str,
    staged: &Staged,
) -> Result<(), CommitError> {
    let nothing_to_write = staged.is_empty();
    if nothing_to_write && staged.reads.len() <= 1 {
        // No writes, and one read is atomic by itself.
        return Ok(());
    }
    let mut usage = outbox.map(Outbox::usage);
    if let (Some(outbox), Some(usage)) = (outbox, &usage)
        && !outbox.fits(usage, function, &staged.published)
    {
        return Err(CommitError::Conflict);
    }
    let db = match kv {
        Kv::Memory(map) => {
            let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
            let holds = staged.reads_hold(|key, value| -> Result<bool, ()> {
                value.clear();
                Ok(map.get(key).map(|v| value.extend_from_slice(v)).is_some())
            });
            if holds != Ok(true) {
                return Err(CommitError::Conflict);
            }
            for (key, value) in &staged.writes {
                map.insert(key.clone(), value.clone());
            }
            if let (Some(outbox), Some(usage)) = (outbox, usage.as_mut()) {
                let freed = outbox.make_room_counted(usage, function, &staged.published);
                outbox.dropped(usage, function, freed, Vec::new());
                outbox.appended(usage, function, &staged.published);
            }
            return Ok(());
        }
        Kv::Durable(db) => db,
    };
    let committed = if nothing_to_write {
        db.run(|db| -> Result<bool, redb::Error> {
            let tx = db.begin_read()?;
            let table = match tx.open_table(TABLE) {
                Ok(t) => Some(t),
                Err(redb::TableError::TableDoesNotExist(_)) => None,
                Err(e) => return Err(e.into()),
            };
            staged.reads_hold(|key, value| -> Result<bool, redb::Error> {
                value.clear();
                let Some(table) = &table else {
                    return Ok(false);
                };
                Ok(table
                    .get(key)?
                    .map(|v| value.extend_from_slice(v.value()))
                    .is_some())
            })
        })
        .map(|holds| holds.then_some((Share::default(), Vec::new())))
    } else {
        db.run(|db| -> Result<Option<(Share, Vec<u64>)>, redb::Error> {
            let tx = crate::db::begin_write(db)?;
            {
                let mut table = tx.open_table(TABLE)?;
                let holds = staged.reads_hold(|key, value| -> Result<bool, redb::Error> {
                    value.clear();
                    Ok(table
                        .get(key)?
                        .map(|v| value.extend_from_slice(v.value()))
                        .is_some())
                })?;
                if !holds {
                    return Ok(None);
                }
                for (key, value) in &staged.writes {
                    table.insert(key.as_str(), value.as_slice())?;
                }
            }
            let freed = match (outbox, &usage) {
                (Some(outbox), Some(usage)) => {
                    outbox.make_room_in(&tx, usage, function, &staged.published)?
                }
                _ => (Share::default(), Vec::new()),
            };
            Outbox::append_in(&tx, function, trace_id, &staged.published)?;
            tx.commit()?;
            Ok(Some(freed))
        })
    };
    match committed {
        Ok(Some((freed, seqs))) => {
            if !nothing_to_write {
                db.mark_healthy();
            }
            if let (Some(outbox), Some(usage)) = (outbox, usage.as_mut()) {
                outbox.dropped(usage, function, freed, seqs);
                outbox.appended(usage, function, &staged.published);
            }
            Ok(())
        }
        Ok(None) => Err(CommitError::Conflict),
        Err(e) => Err(CommitError::Unavailable(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jinn_core::staged::digest;

    fn read_then_write(key: &str, seen: Option<&[u8]>, value: &[u8]) -> Staged {
        let mut staged = Staged::default();
        staged.reads.insert(key.into(), digest(seen));
        staged.writes.insert(key.into(), value.to_vec());
        staged
    }

    #[test]
    fn a_write_based_on_a_stale_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for kv in [Kv::memory(), Kv::open_dir(dir.path()).unwrap()] {
            // Two calls read `n` missing, both write 1: the second must not commit.
            let first = read_then_write("n", None, b"1");
            let second = read_then_write("n", None, b"1");
            assert_eq!(commit(&kv, None, "f", "t", &first), Ok(()));
            assert_eq!(
                commit(&kv, None, "f", "t", &second),
                Err(CommitError::Conflict)
            );
            // Run again, it reads 1 and writes 2.
            let again = read_then_write("n", Some(b"1"), b"2");
            assert_eq!(commit(&kv, None, "f", "t", &again), Ok(()));
            let mut value = Vec::new();
            assert!(kv.get("n", &mut value).unwrap());
            assert_eq!(value, b"2");
        }
    }

    #[test]
    fn read_only_calls_are_checked_as_one_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let kv = Kv::open_dir(dir.path()).unwrap();
        kv.set("a", b"1").unwrap();
        let mut staged = Staged::default();
        staged.reads.insert("a".into(), digest(Some(b"1")));
        staged.reads.insert("b".into(), digest(None));
        assert_eq!(commit(&kv, None, "f", "t", &staged), Ok(()));
        kv.set("b", b"x").unwrap();
        assert_eq!(
            commit(&kv, None, "f", "t", &staged),
            Err(CommitError::Conflict)
        );
    }
}
