//! Functions and their compiled modules: the catalog read at boot, and the
//! budget of modules kept in RAM (`Config::resident_modules`).

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::cell::{Cell, RefCell};

use embedded_storage::nor_flash::NorFlash;
use jinn_core::{Function, InvokeError, Manifest, Runtime};

use crate::catalog::{CatalogError, CatalogReader, ModuleAt, read_module};
use crate::config::{Config, MAX_FUNCTIONS};
use crate::device::Jinn;
use crate::flash::Region;
use crate::host::DeviceHost;
use crate::record::{DeviceSettings, Name, Route, TimerRecord, Topic};
use crate::signing::Signing;

/// One function of the catalog; its compiled module is in RAM unless the
/// resident-module budget evicted it.
pub(crate) struct Loaded<F: NorFlash + 'static> {
    pub(crate) name: Name,
    pub(crate) route: Option<Route>,
    /// On the heap (like the manifest): in the table, the room for
    /// `MAX_TOPICS` filters of every function would be ~4 KiB of static RAM.
    pub(crate) topics: Box<[Topic]>,
    /// Its interval timers (on the heap, as the topics).
    pub(crate) timers: Box<[TimerRecord]>,
    pub(crate) manifest: Arc<Manifest>,
    pub(crate) module: ModuleAt,
    pub(crate) sha256: [u8; 32],
    pub(crate) function: RefCell<Option<Function<DeviceHost<F>>>>,
    /// When it was last called (a counter), to evict the least recently used.
    pub(crate) last_used: Cell<u32>,
}

impl<F: NorFlash + 'static> Jinn<F> {
    /// The compiled module of function `index`, compiled from flash (after
    /// evicting the least recently used modules over the budget) when it is
    /// not in RAM.
    pub(crate) fn compiled(&self, index: usize) -> Result<Function<DeviceHost<F>>, InvokeError> {
        let uses = self.uses.get().wrapping_add(1);
        self.uses.set(uses);
        let loaded = &self.functions[index];
        loaded.last_used.set(uses);
        if let Some(function) = loaded.function.borrow().as_ref() {
            return Ok(function.clone());
        }
        let budget = self.config.resident_modules.max(1);
        while self.resident_count() >= budget {
            let Some(oldest) = self
                .functions
                .iter()
                .filter(|f| f.function.borrow().is_some())
                .min_by_key(|f| f.last_used.get())
            else {
                break;
            };
            debug!("module of {} dropped from RAM", oldest.name.as_str());
            oldest.function.replace(None);
        }
        let failed = |what: &dyn core::fmt::Display| {
            let mut detail = jinn_core::error::Detail::new();
            let _ = core::fmt::write(&mut detail, format_args!("{what}"));
            InvokeError::Instantiation(alloc::boxed::Box::new(detail))
        };
        let wasm = read_module(&self.catalog, loaded.module, &loaded.sha256).map_err(|e| {
            error!("function {}: {}", loaded.name.as_str(), e);
            failed(&e)
        })?;
        // Checked again on every load: the flash may have been written since boot.
        let module = self
            .signing
            .check(loaded.name.as_str(), &wasm)
            .map_err(|e| failed(&e))?;
        // A fresh engine per module: wasmi keeps compiled code in its engine
        // until the engine itself is dropped, so an evicted module frees its
        // memory only if nothing else shares that engine.
        let function = Runtime::new(self.config.engine).load(module).map_err(|e| {
            error!("function {}: {}", loaded.name.as_str(), e);
            failed(&e)
        })?;
        drop(wasm);
        debug!("module of {} compiled", loaded.name.as_str());
        loaded.function.replace(Some(function.clone()));
        Ok(function)
    }
}

/// What reading the catalog gave.
pub(crate) struct Catalog {
    pub(crate) settings: DeviceSettings,
    pub(crate) signing: Signing,
    pub(crate) error: Option<CatalogError>,
}

/// Reads the catalog: every module is checked against the signature policy
/// and compiled once, so that a bad module shows at boot (and is left out).
/// Without a budget (0) they all stay in RAM, in one shared
/// engine; with one, none does (each is compiled in an engine of its own,
/// dropped with it, so each compile has the heap to itself) and calls
/// compile them again.
pub(crate) fn load_catalog<F: NorFlash + 'static>(
    region: Region<'static, F>,
    config: &Config,
    functions: &mut heapless::Vec<Loaded<F>, MAX_FUNCTIONS>,
) -> Catalog {
    let (mut reader, settings) = match CatalogReader::open(region) {
        Ok(opened) => opened,
        Err(e) => {
            let settings = DeviceSettings::default();
            let signing = Signing::new(config, &settings);
            return Catalog {
                settings,
                signing,
                error: Some(e),
            };
        }
    };
    let signing = Signing::new(config, &settings);
    let (engine, budget) = (config.engine, config.resident_modules);
    // Without a budget every module stays, in one shared engine.
    let runtime = Runtime::<DeviceHost<F>>::new(engine);
    loop {
        let (record, at) = match reader.next_function() {
            Ok(Some(next)) => next,
            Ok(None) => {
                return Catalog {
                    settings,
                    signing,
                    error: None,
                };
            }
            Err(e) => {
                return Catalog {
                    settings,
                    signing,
                    error: Some(e),
                };
            }
        };
        if functions.is_full() {
            warn!(
                "catalog: more than {} functions, {} skipped",
                MAX_FUNCTIONS,
                record.name.as_str()
            );
            continue;
        }
        let wasm = match reader.read_module(at, &record.wasm_sha256) {
            Ok(wasm) => wasm,
            Err(e) => {
                error!("function {}: {}", record.name.as_str(), e);
                continue;
            }
        };
        let Ok(module) = signing.check(record.name.as_str(), &wasm) else {
            continue;
        };
        let compiled = if budget == 0 {
            runtime.load(module)
        } else {
            Runtime::new(engine).load(module)
        };
        match compiled {
            Ok(function) => {
                info!(
                    "function {}: {} bytes, route {}, {} topics",
                    record.name.as_str(),
                    record.wasm_len,
                    record.route.as_deref().unwrap_or("-"),
                    record.topics.len()
                );
                drop(wasm);
                let mut manifest = record.manifest;
                let limits = manifest.limits.within(&config.caps);
                if limits != manifest.limits {
                    info!(
                        "function {}: limits lowered to the device's caps",
                        record.name.as_str()
                    );
                    manifest.limits = limits;
                }
                let keep = budget == 0;
                let _ = functions.push(Loaded {
                    name: record.name,
                    route: record.route,
                    topics: record.topics.into_iter().collect(),
                    timers: record.timers.into_iter().collect(),
                    manifest: Arc::new(manifest),
                    module: at,
                    sha256: record.wasm_sha256,
                    function: RefCell::new(keep.then_some(function)),
                    last_used: Cell::new(0),
                });
            }
            Err(e) => error!("function {}: {}", record.name.as_str(), e),
        }
    }
}
