//! [`Jinn`]: the functions of one device, their storage, and how a call runs.

use core::cell::{Cell, RefCell};
use core::fmt;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::mutex::Mutex;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Instant, Timer};
use embedded_storage::nor_flash::NorFlash;
use jinn_core::permissions::topic_matches;
use jinn_core::{CallStats, Invocation, Outcome, Progress, Request, Staged};

use crate::catalog::CatalogError;
use crate::config::{Config, MAX_FUNCTIONS};
use crate::entropy::Entropy;
use crate::flash::{LayoutError, Partitions, Region};
use crate::host::DeviceHost;
use crate::kv::KvStore;
use crate::modules::{Loaded, load_catalog};
use crate::observer::CallObserver;
use crate::outbox::{Outbox, OutboxError};
use crate::record::DeviceSettings;
use crate::signing::Signing;
use crate::storage::Storage;

/// The device could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum BootError {
    /// The flash does not fit the [`Layout`](crate::config::Layout).
    Layout(LayoutError),
    /// The outbox area could not be opened.
    Outbox(OutboxError),
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Layout(e) => write!(f, "flash layout: {e}"),
            Self::Outbox(e) => write!(f, "outbox: {e}"),
        }
    }
}

impl core::error::Error for BootError {}

/// Counters shown by `/healthz`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Counters {
    /// Calls finished.
    pub calls: u32,
    /// Calls that ended in an error.
    pub failed: u32,
    /// Timer runs made.
    pub timer_runs: u32,
    /// Timer runs skipped (due while the timer was late).
    pub timer_skipped: u32,
}

/// Static storage for [`Jinn::start`]: put one in a `StaticCell`.
pub struct Resources<F: NorFlash + 'static> {
    flash: Option<RefCell<F>>,
    storage: Option<Storage<'static, F>>,
    jinn: Option<Jinn<F>>,
}

impl<F: NorFlash + 'static> Resources<F> {
    /// Empty resources.
    pub const fn new() -> Self {
        Self {
            flash: None,
            storage: None,
            jinn: None,
        }
    }
}

impl<F: NorFlash + 'static> Default for Resources<F> {
    fn default() -> Self {
        Self::new()
    }
}

/// The functions of one device and everything they use.
pub struct Jinn<F: NorFlash + 'static> {
    pub(crate) storage: &'static Storage<'static, F>,
    pub(crate) functions: heapless::Vec<Loaded<F>, MAX_FUNCTIONS>,
    pub(crate) catalog: Region<'static, F>,
    pub(crate) uses: Cell<u32>,
    pub(crate) settings: DeviceSettings,
    pub(crate) signing: Signing,
    pub(crate) config: Config,
    pub(crate) catalog_error: Option<CatalogError>,
    slot: Mutex<NoopRawMutex, ()>,
    pub(crate) outbox_ready: Signal<NoopRawMutex, ()>,
    counters: Cell<Counters>,
    pub(crate) mqtt: Cell<MqttStatus>,
    busy: Cell<bool>,
    started: Instant,
    observer: Cell<Option<&'static dyn CallObserver>>,
}

/// Where the MQTT connection stands, shown by `/healthz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MqttStatus {
    /// No broker configured.
    Off,
    /// Not connected (connecting, or waiting to retry).
    Down,
    /// Connected and subscribed to every topic filter.
    Up,
}

impl MqttStatus {
    /// `off`, `down` or `up`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Down => "down",
            Self::Up => "up",
        }
    }
}

impl<F: NorFlash + 'static> Jinn<F> {
    /// Opens the flash, loads every function of the catalog and returns the
    /// device, ready for [`http::serve`](crate::http::serve) and
    /// [`mqtt::run`](crate::mqtt::run). `seed` seeds the generator behind
    /// `random_get` and trace ids: take it from a hardware RNG.
    ///
    /// A missing or damaged catalog is not fatal: the device starts with the
    /// functions it could load and `/healthz` reports the problem.
    ///
    /// # Errors
    ///
    /// [`BootError`] when the flash cannot hold the layout or the outbox
    /// cannot be opened.
    pub fn start(
        resources: &'static mut Resources<F>,
        flash: F,
        config: Config,
        seed: [u8; 32],
    ) -> Result<&'static Self, BootError> {
        let Resources {
            flash: flash_slot,
            storage: storage_slot,
            jinn: jinn_slot,
        } = resources;
        let capacity = flash.capacity();
        let parts = Partitions::new::<F>(capacity, config.layout).map_err(BootError::Layout)?;
        let flash: &'static RefCell<F> = flash_slot.insert(RefCell::new(flash));
        let region = |r: &core::ops::Range<u32>| Region::new(flash, r.start, r.end - r.start);

        let outbox = Outbox::open(region(&parts.outbox)).map_err(BootError::Outbox)?;
        if !outbox.is_empty() {
            info!("outbox: {} messages to send", outbox.len());
        }
        let storage: &'static Storage<'static, F> = storage_slot.insert(Storage {
            kv: RefCell::new(KvStore::new(region(&parts.kv))),
            outbox: RefCell::new(outbox),
            entropy: RefCell::new(Entropy::new(seed)),
            unix_ns_at_boot: config.unix_ns_at_boot,
        });

        let mut functions = heapless::Vec::new();
        let catalog = Region::new(flash, 0, parts.catalog.end);
        let loaded = load_catalog(
            Region::new(flash, 0, parts.catalog.end),
            &config,
            &mut functions,
        );
        if let Some(e) = loaded.error {
            error!("catalog: {}", e);
        }
        info!("{} functions loaded", functions.len());
        Ok(jinn_slot.insert(Self {
            storage,
            functions,
            catalog,
            uses: Cell::new(0),
            settings: loaded.settings,
            signing: loaded.signing,
            config,
            catalog_error: loaded.error,
            slot: Mutex::new(()),
            outbox_ready: Signal::new(),
            counters: Cell::new(Counters::default()),
            mqtt: Cell::new(MqttStatus::Off),
            busy: Cell::new(false),
            started: Instant::now(),
            observer: Cell::new(None),
        }))
    }

    /// The device settings read from the catalog.
    pub fn settings(&self) -> &DeviceSettings {
        &self.settings
    }

    /// The runtime settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What went wrong reading the catalog, if anything.
    pub fn catalog_error(&self) -> Option<CatalogError> {
        self.catalog_error
    }

    /// Number of functions loaded.
    pub fn function_count(&self) -> usize {
        self.functions.len()
    }

    /// Number of compiled modules in RAM now.
    pub fn resident_count(&self) -> usize {
        self.functions
            .iter()
            .filter(|f| f.function.borrow().is_some())
            .count()
    }

    /// Calls and failures so far.
    pub fn counters(&self) -> Counters {
        self.counters.get()
    }

    /// Where the MQTT connection stands.
    pub fn mqtt_status(&self) -> MqttStatus {
        self.mqtt.get()
    }

    /// Whether a guest is running now.
    pub fn busy(&self) -> bool {
        self.busy.get()
    }

    /// Messages in the outbox.
    pub fn outbox_len(&self) -> u32 {
        self.storage.outbox.borrow().len()
    }

    /// Milliseconds since [`Jinn::start`].
    pub fn uptime_ms(&self) -> u64 {
        self.started.elapsed().as_millis()
    }

    /// The function answering HTTP `path`: its route is the path or a
    /// parent of it at a `/` boundary; the longest route wins.
    pub fn route(&self, path: &str) -> Option<usize> {
        self.functions
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                let route = f.route.as_deref()?.trim_end_matches('/');
                let rest = path.strip_prefix(route)?;
                (rest.is_empty() || rest.starts_with('/')).then_some((i, route.len()))
            })
            .max_by_key(|&(_, len)| len)
            .map(|(i, _)| i)
    }

    /// The functions whose topic filters match `topic`, in catalog order.
    pub fn subscribers<'a>(&'a self, topic: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.functions
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.topics.iter().any(|t| topic_matches(t, topic)))
            .map(|(i, _)| i)
    }

    /// Every topic filter of every function, once each.
    pub fn topic_filters(&self) -> impl Iterator<Item = &str> {
        self.functions.iter().enumerate().flat_map(move |(i, f)| {
            f.topics
                .iter()
                .filter(move |t| {
                    !self.functions[..i]
                        .iter()
                        .any(|g| g.topics.iter().any(|u| u == *t))
                })
                .map(|t| t.as_str())
        })
    }

    /// The limits function `index` runs with: its manifest's, lowered to
    /// the device's caps ([`Config::caps`]).
    pub fn limits(&self, index: usize) -> Option<&jinn_core::Limits> {
        self.functions.get(index).map(|f| &f.manifest.limits)
    }

    /// The name of function `index`.
    pub fn name(&self, index: usize) -> &str {
        self.functions.get(index).map_or("", |f| f.name.as_str())
    }

    /// Runs function `index` on `request`, one guest at a time, in slices of
    /// [`Config::slice_fuel`] with a yield to the executor between slices,
    /// so the network keeps being served. A guest that sleeps waits on an
    /// embassy `Timer` (bounded by the call deadline), costing no fuel. What
    /// a successful call staged (its KV writes and published messages) is in
    /// flash when this returns; a call that failed, or whose future is
    /// dropped half-way (it then ends as interrupted), leaves nothing.
    pub async fn call(&self, index: usize, request: &Request) -> Outcome {
        let loaded = &self.functions[index];
        let _one_at_a_time = self.slot.lock().await;
        if let Some(observer) = self.observer.get() {
            observer.call_started();
        }
        let function = match self.compiled(index) {
            Ok(function) => function,
            Err(error) => {
                return self.counted(
                    index,
                    Outcome {
                        result: Err(error),
                        fuel_used: 0,
                        stderr: alloc::vec::Vec::new(),
                        stats: CallStats::default(),
                        staged: Staged::default(),
                    },
                );
            }
        };
        let host = DeviceHost::new(self.storage, &loaded.name);
        let call = function.invoke(host, loaded.manifest.clone(), request.to_json());
        let mut running = Running::new(self, call);
        let deadline = Instant::now() + self.config.call_deadline;
        loop {
            let progress = running.resume(self.config.slice_fuel);
            if !progress.is_running() {
                break;
            }
            if Instant::now() >= deadline {
                running.interrupt();
                break;
            }
            match progress {
                // The guest sleeps (Go's time.Sleep): wait on a timer, up to
                // the deadline; the other tasks run meanwhile.
                // A sleep past the deadline ends the call there, as on the gateway.
                Progress::Sleeping(sleep) => {
                    let wake = Instant::now() + Duration::from_micros(sleep.duration_ns / 1000);
                    Timer::at(wake.min(deadline)).await;
                    if wake >= deadline {
                        running.interrupt();
                        break;
                    }
                }
                _ => embassy_futures::yield_now().await,
            }
        }
        self.counted(index, running.finish())
    }

    /// Commits what a finished call staged; wakes the MQTT task when the
    /// outbox got messages.
    fn commit(&self, staged: &Staged) {
        if self.storage.commit(staged) > 0 {
            self.outbox_ready.signal(());
        }
    }

    /// Counts a finished call for `/healthz` and tells the observer.
    fn counted(&self, index: usize, outcome: Outcome) -> Outcome {
        if let Some(observer) = self.observer.get() {
            observer.call_ended(self.name(index), &outcome);
        }
        let mut counters = self.counters.get();
        counters.calls = counters.calls.wrapping_add(1);
        if outcome.result.is_err() {
            counters.failed = counters.failed.wrapping_add(1);
        }
        self.counters.set(counters);
        outcome
    }

    /// Counts a timer run.
    pub(crate) fn timer_ran(&self) {
        let mut counters = self.counters.get();
        counters.timer_runs = counters.timer_runs.wrapping_add(1);
        self.counters.set(counters);
    }

    /// Counts `n` skipped timer runs.
    pub(crate) fn timer_skipped(&self, n: u64) {
        let mut counters = self.counters.get();
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        counters.timer_skipped = counters.timer_skipped.saturating_add(n);
        self.counters.set(counters);
    }

    /// Tells `observer` when each call starts and ends, from now on.
    pub fn observe_calls(&self, observer: &'static dyn CallObserver) {
        self.observer.set(Some(observer));
    }

    /// Random bytes from the device generator.
    pub fn random(&self, buf: &mut [u8]) {
        self.storage.random(buf);
    }
}

/// The running call: marks the device busy, and when it ends — or its
/// future is dropped half-way — commits what it staged.
struct Running<'a, F: NorFlash + 'static> {
    jinn: &'a Jinn<F>,
    call: Option<Invocation<DeviceHost<F>>>,
}

impl<'a, F: NorFlash + 'static> Running<'a, F> {
    fn new(jinn: &'a Jinn<F>, call: Invocation<DeviceHost<F>>) -> Self {
        jinn.busy.set(true);
        Self {
            jinn,
            call: Some(call),
        }
    }

    fn resume(&mut self, slice: u64) -> Progress {
        self.call
            .as_mut()
            .map_or(Progress::Finished, |c| c.resume(slice))
    }

    fn interrupt(&mut self) {
        if let Some(call) = self.call.as_mut() {
            call.interrupt();
        }
    }

    /// Ends the call and commits what it staged.
    fn finish(mut self) -> Outcome {
        self.end()
            .unwrap_or_else(|| unreachable!("a call ends once"))
    }

    fn end(&mut self) -> Option<Outcome> {
        let (outcome, _host) = self.call.take()?.finish();
        self.jinn.commit(&outcome.staged);
        self.jinn.busy.set(false);
        Some(outcome)
    }
}

impl<F: NorFlash + 'static> Drop for Running<'_, F> {
    fn drop(&mut self) {
        let _ = self.end();
    }
}
