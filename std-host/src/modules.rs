//! Compiled modules, shared by every function whose module has the same
//! bytes (by SHA-256): compiled in parallel at load, or only when first
//! called (`modules.compile = "on_first_use"`), with an optional cap on how
//! many stay in memory (`modules.resident`; the least recently used are
//! dropped and compiled again when called).
//!
//! Each distinct module gets an engine of its own: wasmi keeps compiled code
//! in its engine until the engine is dropped, so this is what lets an
//! evicted or unloaded module give its memory back (calls in flight keep
//! theirs alive until they end).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use jinn_core::{EngineLimits, Function, InvokeError, LoadError, Runtime};

use crate::config::ModuleSettings;
use crate::host::GatewayHost;

/// A module's SHA-256.
pub type Digest = [u8; 32];

struct Entry {
    /// Kept when the module may have to be compiled (again) later.
    bytes: Option<Arc<[u8]>>,
    compiled: Option<Function<GatewayHost>>,
    last_used: u64,
    /// Gateway generations using it; at 0 (after [`Modules::release`]) it goes.
    holders: usize,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Digest, Entry>,
    uses: u64,
}

/// The compiled modules of a gateway, across reloads.
pub struct Modules {
    settings: ModuleSettings,
    limits: EngineLimits,
    inner: Mutex<Inner>,
}

impl Modules {
    /// No modules yet.
    pub fn new(settings: ModuleSettings, limits: EngineLimits) -> Self {
        Self {
            settings,
            limits,
            inner: Mutex::default(),
        }
    }

    /// A runtime for one module (an engine of its own, see the module docs).
    fn runtime(&self) -> Runtime<GatewayHost> {
        Runtime::new(self.limits).with_module_limits(self.settings.limits)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes every module of `wanted` ready: already known ones are kept;
    /// new ones are validated, and compiled unless they wait for their first
    /// call (or the resident cap is reached), several at a time. Returns the
    /// error of each module that cannot be loaded.
    // `LoadError` is large by design (bounded, allocation-free details).
    #[allow(clippy::result_large_err)]
    pub fn prepare(&self, wanted: &[(Digest, Arc<[u8]>)]) -> HashMap<Digest, LoadError> {
        let mut new: Vec<(Digest, Arc<[u8]>)> = Vec::new();
        {
            let inner = self.lock();
            for (digest, bytes) in wanted {
                if !inner.entries.contains_key(digest) && !new.iter().any(|(d, _)| d == digest) {
                    new.push((*digest, bytes.clone()));
                }
            }
        }
        let resident_now = self
            .lock()
            .entries
            .values()
            .filter(|e| e.compiled.is_some())
            .count();
        let cap = if self.settings.resident == 0 {
            usize::MAX
        } else {
            self.settings.resident
        };
        let compile_count = if self.settings.on_first_use {
            0
        } else {
            cap.saturating_sub(resident_now).min(new.len())
        };
        let keep_bytes = self.settings.on_first_use || self.settings.resident > 0;
        let results = parallel(&new, |i, bytes| {
            if i < compile_count {
                self.runtime().load(bytes).map(Some)
            } else {
                jinn_core::runtime::validate(&self.limits, self.settings.limits, bytes)
                    .map(|()| None)
            }
        });
        let mut errors = HashMap::new();
        let mut inner = self.lock();
        for ((digest, bytes), result) in new.into_iter().zip(results) {
            match result {
                Ok(compiled) => {
                    inner.entries.insert(
                        digest,
                        Entry {
                            bytes: keep_bytes.then_some(bytes),
                            compiled,
                            last_used: 0,
                            holders: 0,
                        },
                    );
                }
                Err(e) => {
                    errors.insert(digest, e);
                }
            }
        }
        errors
    }

    /// A gateway generation uses these modules.
    pub fn hold(&self, digests: &HashSet<Digest>) {
        let mut inner = self.lock();
        for d in digests {
            if let Some(e) = inner.entries.get_mut(d) {
                e.holders += 1;
            }
        }
    }

    /// A gateway generation is gone, or was never built: modules of
    /// `digests` that no generation holds any more are forgotten and their
    /// memory freed (calls in flight keep the code they run until they end).
    pub fn release(&self, digests: &HashSet<Digest>) {
        let mut inner = self.lock();
        for d in digests {
            if let Some(e) = inner.entries.get_mut(d) {
                e.holders = e.holders.saturating_sub(1);
                if e.holders == 0 {
                    inner.entries.remove(d);
                }
            }
        }
    }

    /// Forgets the modules of `digests` that no generation holds (those a
    /// failed build prepared).
    pub fn forget_unheld(&self, digests: &HashSet<Digest>) {
        self.lock()
            .entries
            .retain(|d, e| e.holders > 0 || !digests.contains(d));
    }

    /// Compiled modules in memory.
    pub fn resident(&self) -> usize {
        self.lock()
            .entries
            .values()
            .filter(|e| e.compiled.is_some())
            .count()
    }

    /// The compiled module `digest`, compiled now if it is not in memory
    /// (after dropping the least recently used ones over the cap).
    ///
    /// # Errors
    ///
    /// [`InvokeError::Instantiation`] when the module is unknown or does not
    /// compile (it validated at load, so neither happens in practice).
    #[allow(clippy::result_large_err)]
    pub fn get(&self, digest: &Digest) -> Result<Function<GatewayHost>, InvokeError> {
        let bytes = {
            let mut inner = self.lock();
            inner.uses += 1;
            let now = inner.uses;
            let entry = inner
                .entries
                .get_mut(digest)
                .ok_or_else(|| failed(&"module not loaded"))?;
            entry.last_used = now;
            if let Some(f) = &entry.compiled {
                return Ok(f.clone());
            }
            entry
                .bytes
                .clone()
                .ok_or_else(|| failed(&"module bytes not kept"))?
        };
        // Compiled outside the lock: other calls go on meanwhile.
        let function = self.runtime().load(&bytes).map_err(|e| failed(&e))?;
        let mut inner = self.lock();
        if self.settings.resident > 0 {
            while inner
                .entries
                .values()
                .filter(|e| e.compiled.is_some())
                .count()
                >= self.settings.resident
            {
                let oldest = inner
                    .entries
                    .iter_mut()
                    .filter(|(d, e)| e.compiled.is_some() && *d != digest)
                    .min_by_key(|(_, e)| e.last_used);
                match oldest {
                    Some((_, e)) => e.compiled = None,
                    None => break,
                }
            }
        }
        let entry = inner
            .entries
            .get_mut(digest)
            .ok_or_else(|| failed(&"module unloaded"))?;
        // Another call may have compiled it meanwhile: keep one.
        Ok(entry.compiled.get_or_insert(function).clone())
    }
}

fn failed(what: &dyn std::fmt::Display) -> InvokeError {
    let mut detail = jinn_core::error::Detail::new();
    let _ = std::fmt::Write::write_fmt(&mut detail, format_args!("{what}"));
    InvokeError::Instantiation(Box::new(detail))
}

/// Runs `work` on every item, on up to one thread per core.
fn parallel<T, R: Send>(items: &[(Digest, Arc<[u8]>)], work: T) -> Vec<R>
where
    T: Fn(usize, &[u8]) -> R + Sync,
{
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads <= 1 {
        return items
            .iter()
            .enumerate()
            .map(|(i, (_, b))| work(i, b))
            .collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((_, bytes)) = items.get(i) else {
                            break;
                        };
                        mine.push((i, work(i, bytes)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("compiling does not panic"))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest as _;

    fn module(text: &str) -> (Digest, Arc<[u8]>) {
        let wat = format!(
            r#"(module (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
                 (memory (export "memory") 1)
                 (data (i32.const 64) "{text}")
                 (func (export "_start")
                   (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const {}))
                   (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
            text.len()
        );
        let bytes = wat::parse_str(wat).unwrap();
        (sha2::Sha256::digest(&bytes).into(), bytes.into())
    }

    fn settings(on_first_use: bool, resident: usize) -> Modules {
        Modules::new(
            ModuleSettings {
                on_first_use,
                resident,
                ..ModuleSettings::default()
            },
            EngineLimits::default(),
        )
    }

    #[test]
    fn same_bytes_compile_once_and_bad_ones_are_named() {
        let m = settings(false, 0);
        let a = module("a");
        let b = module("b");
        let bad: (Digest, Arc<[u8]>) = ([9; 32], Arc::from(&b"junk"[..]));
        let errors = m.prepare(&[a.clone(), b.clone(), a.clone(), bad.clone()]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[&bad.0].kind(), jinn_core::ErrorKind::InvalidModule);
        assert_eq!(m.resident(), 2);
        // Two generations: the first uses a and b, the second only a.
        m.hold(&HashSet::from([a.0, b.0]));
        m.hold(&HashSet::from([a.0]));
        m.release(&HashSet::from([a.0, b.0]));
        assert_eq!(m.resident(), 1);
        assert!(m.get(&b.0).is_err());
        assert!(m.get(&a.0).is_ok());
        m.release(&HashSet::from([a.0]));
        assert_eq!(m.resident(), 0);
    }

    #[test]
    fn on_first_use_compiles_when_called_and_the_cap_evicts_the_oldest() {
        let m = settings(true, 2);
        let all = [module("a"), module("b"), module("c")];
        assert!(m.prepare(&all).is_empty());
        m.hold(&all.iter().map(|(d, _)| *d).collect());
        assert_eq!(m.resident(), 0);
        m.get(&all[0].0).unwrap();
        m.get(&all[1].0).unwrap();
        assert_eq!(m.resident(), 2);
        m.get(&all[0].0).unwrap(); // b is now the least recently used
        m.get(&all[2].0).unwrap();
        assert_eq!(m.resident(), 2);
        let inner = m.lock();
        assert!(inner.entries[&all[1].0].compiled.is_none());
        assert!(inner.entries[&all[0].0].compiled.is_some());
    }
}
