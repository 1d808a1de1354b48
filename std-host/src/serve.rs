//! `jinn serve`: HTTP- and MQTT-triggered functions (the MQTT bridge:
//! [`crate::mqtt`]).
//!
//! Exit codes: 0 after a clean shutdown (SIGTERM or Ctrl-C), 1 when the
//! configuration or a module is refused or a listener cannot be bound.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use jinn_core::EngineLimits;
use tokio::net::TcpListener;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;

use crate::cli::ServeArgs;
use crate::config::{self, Overrides, Source};
use crate::connections::Connections;
use crate::kv::Kv;
use crate::listener::{self, Plane};
use crate::loaded::Gateway;
use crate::metrics::Metrics;
use crate::modules::Modules;
use crate::outbox::Outbox;
use crate::pool::Pool;
use crate::shared::Shared;
use crate::{admin, demo, http, reload, systemd, tls};

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("jinn serve: {message}");
    ExitCode::from(1)
}

/// Runs `jinn serve`.
pub fn main(args: ServeArgs) -> ExitCode {
    let (path, demo) = match demo::choose(args.config) {
        Ok(chosen) => chosen,
        Err(e) => return fail(e),
    };
    let source = match Source::read(&path) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if let Some(demo) = &demo {
        tracing::info!(
            dir = %demo.dir().display(),
            "no ./jinn.toml here: serving the built-in demo ({}) with its modules and data in a \
             temporary directory, removed at exit; `jinn new <lang> <name>` makes a function of your own",
            demo::ROUTES
        );
    }
    let overrides = Overrides {
        listen: args.listen,
        admin_listen: args.admin_listen,
        data_dir: args.data_dir,
    };
    let config = match config::parse(&source, &overrides) {
        Ok(c) => c,
        Err(errors) => return fail(format!("invalid configuration:\n{errors}")),
    };
    let open_files = raise_open_files_limit();
    let wanted = (config.http.max_connections + admin::LIMITS.total) as u64 + 64;
    if open_files < wanted {
        tracing::warn!(
            open_files,
            wanted,
            "the open-file limit is below http.max_connections plus what the gateway needs: connections past it fail to be accepted"
        );
    }
    let io_threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(io_threads)
        .thread_name("jinn-io")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let code = runtime.block_on(run(config, source.path, overrides));
    // Worker threads may still be finishing a call past the drain deadline.
    runtime.shutdown_timeout(Duration::from_millis(100));
    drop(demo);
    code
}

async fn run(
    config: config::Config,
    path: Option<std::path::PathBuf>,
    overrides: Overrides,
) -> ExitCode {
    let modules = Arc::new(Modules::new(config.modules, EngineLimits::gateway()));
    let metrics = Metrics::default();
    let (modules, metrics, built) = tokio::task::spawn_blocking(move || {
        let built = Gateway::build(config, &modules, &metrics, None);
        (modules, metrics, built)
    })
    .await
    .expect("loading the modules does not panic");
    let gateway = match built {
        Ok(g) => g,
        Err(errors) => return fail(format!("cannot load the functions:\n{errors}")),
    };
    let mut listeners = Vec::new();
    for addr in &gateway.config.http.listen {
        match bind(*addr) {
            Ok(l) => listeners.push(l),
            Err(e) => return fail(format!("cannot listen on {addr}: {e}")),
        }
    }
    let mut https_listeners = Vec::new();
    for addr in gateway.config.https.iter().flat_map(|h| &h.listen) {
        match bind(*addr) {
            Ok(l) => https_listeners.push(l),
            Err(e) => return fail(format!("cannot listen on {addr} (https): {e}")),
        }
    }
    // Bound here, served by the admin thread's own runtime.
    let admin_listener = match bind(gateway.config.admin.listen).and_then(TcpListener::into_std) {
        Ok(l) => l,
        Err(e) => {
            return fail(format!(
                "cannot listen on {} (admin): {e}",
                gateway.config.admin.listen
            ));
        }
    };
    // The store only once the functions loaded and the listeners are bound:
    // a start that fails writes nothing.
    let kv = match Kv::open_dir(&gateway.config.data_dir) {
        Ok(kv) => kv,
        Err(e) => return fail(e),
    };
    let outbox = match Outbox::open(&kv, gateway.config.outbox) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    warn_outbox_shares(&gateway);
    let pool = Pool::new(gateway.config.pool.workers, gateway.config.pool.queue);
    let shared = Arc::new(Shared::new(
        gateway, path, overrides, modules, pool, metrics, kv, outbox,
    ));
    let settings = &shared.startup;

    // Signal handlers first: SIGHUP's default action would end the process.
    let mut signals = match Signals::new() {
        Ok(s) => s,
        Err(e) => return fail(format!("cannot handle signals: {e}")),
    };
    let http_addrs: Vec<String> = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .map(|a| a.to_string())
        .collect();
    let https_addrs: Vec<String> = https_listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .map(|a| a.to_string())
        .collect();
    let admin_addr = admin_listener
        .local_addr()
        .map_or_else(|_| "?".into(), |a| a.to_string());

    let (stop_tx, stop_rx) = watch::channel(false);
    let (admin_stop_tx, admin_stop_rx) = watch::channel(false);
    let admin = match spawn_admin(admin_listener, shared.clone(), admin_stop_rx) {
        Ok(handle) => handle,
        Err(e) => return fail(format!("cannot start the admin listener: {e}")),
    };
    let options = listener::Options {
        plane: Plane::Data,
        header_read_timeout: settings.http.header_read_timeout,
        keep_alive: settings.http.keep_alive,
        idle_timeout: settings.http.idle_timeout,
    };
    let mut accept_tasks = Vec::new();
    let tls: tls::Current<Shared> = |s| s.current().tls.clone();
    let plain = listeners.into_iter().map(|l| (l, None));
    for (l, tls) in plain.chain(https_listeners.into_iter().map(|l| (l, Some(tls)))) {
        accept_tasks.push(tokio::spawn(listener::accept(
            l,
            shared.connections.clone(),
            shared.clone(),
            shared.metrics.clone(),
            http::handle,
            options,
            stop_rx.clone(),
            tls,
        )));
    }
    let hup = tokio::spawn(reload::on_sighup(shared.clone(), signals.hup));
    let storage = tokio::spawn(recover_storage(shared.clone()));
    let watcher = settings
        .watch
        .then(|| tokio::spawn(reload::watch(shared.clone())));
    let bridge = crate::mqtt::start(&shared);
    let timers = crate::timer::start(&shared);
    shared.ready.store(true, Ordering::Relaxed);
    // What loading freed (file bytes, validators' tables) goes back now.
    crate::memory::give_back();
    tracing::info!(
        http = http_addrs.join(","),
        https = (!https_addrs.is_empty()).then(|| https_addrs.join(",")),
        admin = admin_addr,
        functions = shared.current().functions.len(),
        workers = shared.pool.workers(),
        data_dir = %settings.data_dir.display(),
        "listening"
    );
    systemd::ready_serving(&shared);
    let watchdog = systemd::watchdog_interval().map(|every| tokio::spawn(systemd::watchdog(every)));

    let signal = tokio::select! {
        _ = signals.term.recv() => "SIGTERM",
        _ = signals.int.recv() => "SIGINT",
    };
    tracing::info!(
        signal,
        "shutting down: no new connections, draining calls in flight"
    );
    shared.ready.store(false, Ordering::Relaxed);
    systemd::stopping();
    let _ = stop_tx.send(true);
    for task in accept_tasks {
        let _ = task.await;
    }
    hup.abort();
    storage.abort();
    if let Some(bridge) = bridge {
        bridge.stop();
    }
    if let Some(timers) = timers {
        timers.stop();
    }
    if let Some(w) = watcher {
        w.abort();
    }
    let drain = shared.startup.drain_timeout;
    let drained = tokio::time::timeout(drain, shared.connections.all_closed())
        .await
        .is_ok();
    if drained {
        tracing::info!("drained");
    } else {
        tracing::warn!(
            in_flight = shared.pool.running(),
            "drain deadline of {drain:?} passed; stopping anyway"
        );
    }
    let _ = admin_stop_tx.send(true);
    let _ = tokio::task::spawn_blocking(move || admin.join()).await;
    if let Some(w) = watchdog {
        w.abort();
    }
    shared.pool.close();
    ExitCode::SUCCESS
}

/// Every second while the store is unhealthy (a commit failed: full disk,
/// I/O error, contained panic), reopens it and tries a commit, so that
/// writes — and `/readyz` — come back as soon as space does.
async fn recover_storage(shared: Arc<Shared>) {
    let Some(db) = shared.kv.db().cloned() else {
        return;
    };
    let mut was_healthy = true;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if db.healthy() {
            if !was_healthy {
                tracing::info!("storage: commits work again, ready");
                was_healthy = true;
            }
            continue;
        }
        if was_healthy {
            // Reopened from the next tick on: at least a second after the failure.
            tracing::warn!("storage: a commit failed; not ready until a commit succeeds");
            was_healthy = false;
            continue;
        }
        let db = db.clone();
        match tokio::task::spawn_blocking(move || db.recover()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!("storage: still failing: {e}"),
            Err(e) => tracing::error!("storage: recovery task failed: {e}"),
        }
    }
}

/// Warns when the outbox's total cannot hold every function's share: one
/// function filling its share could then take room another one counts on.
fn warn_outbox_shares(gateway: &Gateway) {
    let limits = gateway.config.outbox;
    let n = gateway.config.functions.len() as u64;
    if n.saturating_mul(limits.function_messages) > limits.max_messages
        || n.saturating_mul(limits.function_bytes) > limits.max_bytes
    {
        tracing::warn!(
            functions = n,
            "outbox: max_messages/max_bytes are below functions × function_messages/function_bytes; \
             functions that fill their shares can fill the outbox for the others"
        );
    }
}

/// Binds `addr` with address reuse and a backlog of 1,024 connections
/// (a plain `bind` gets 128, and a burst of connections beyond that is
/// dropped by the kernel and retried by clients a second later).
fn bind(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Serves the admin listener on a thread and runtime of its own, so that
/// nothing on the data plane (a flood of connections, a busy reactor) can
/// keep `/metrics`, `/healthz` and `/readyz` from answering.
fn spawn_admin(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("jinn-admin".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!("admin listener: {e}");
                        return;
                    }
                };
                let connections = Connections::new(admin::LIMITS);
                let options = listener::Options {
                    plane: Plane::Admin,
                    header_read_timeout: admin::HEADER_READ_TIMEOUT,
                    keep_alive: true,
                    idle_timeout: admin::LIMITS.idle,
                };
                let metrics = shared.metrics.clone();
                listener::accept(
                    listener,
                    connections.clone(),
                    shared,
                    metrics,
                    admin::handle,
                    options,
                    stop,
                    None,
                )
                .await;
                let _ = tokio::time::timeout(Duration::from_millis(200), connections.all_closed())
                    .await;
            });
        })
}

/// Raises the soft limit of open files to the hard one (every connection is
/// a file); returns the limit in force.
fn raise_open_files_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit are given a valid pointer to a local.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return u64::MAX;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}

struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }
}
