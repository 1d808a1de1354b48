//! `jinn serve`: HTTP-triggered functions.
//!
//! Exit codes: 0 after a clean shutdown (SIGTERM or Ctrl-C), 1 when the
//! configuration or a module is refused or a listener cannot be bound.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use jinn_core::EngineLimits;
use tokio::net::TcpListener;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{Semaphore, watch};

use crate::cli::ServeArgs;
use crate::config::{self, Overrides, Source};
use crate::kv::Kv;
use crate::loaded::Gateway;
use crate::metrics::Metrics;
use crate::modules::Modules;
use crate::outbox::Outbox;
use crate::pool::Pool;
use crate::shared::Shared;
use crate::{admin, http, reload};

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("jinn serve: {message}");
    ExitCode::from(1)
}

/// Runs `jinn serve`.
pub fn main(args: ServeArgs) -> ExitCode {
    let source = match Source::load(args.config.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let overrides = Overrides {
        listen: args.listen,
        admin_listen: args.admin_listen,
        data_dir: args.data_dir,
    };
    let config = match config::parse(&source, &overrides) {
        Ok(c) => c,
        Err(errors) => return fail(format!("invalid configuration:\n{errors}")),
    };
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
    code
}

async fn run(
    config: config::Config,
    path: Option<std::path::PathBuf>,
    overrides: Overrides,
) -> ExitCode {
    let embedded = path.is_none();
    let kv = match Kv::open_dir(&config.data_dir) {
        Ok(kv) => kv,
        Err(e) => return fail(e),
    };
    let outbox = match Outbox::open(&kv, config.outbox) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
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
        Err(errors) if embedded => {
            return fail(format!(
                "cannot load the functions:\n{errors}\n(the default config serves examples/wasm/*.wasm from the working directory: run it from the repository root after `bash scripts/build-examples.sh`)"
            ));
        }
        Err(errors) => return fail(format!("cannot load the functions:\n{errors}")),
    };
    warn_outbox_shares(&gateway);
    let pool = Pool::new(gateway.config.pool.workers, gateway.config.pool.queue);
    let shared = Arc::new(Shared::new(
        gateway, path, overrides, modules, pool, metrics, kv, outbox,
    ));
    let settings = &shared.startup;

    let mut listeners = Vec::new();
    for addr in &settings.http.listen {
        match TcpListener::bind(addr).await {
            Ok(l) => listeners.push(l),
            Err(e) => return fail(format!("cannot listen on {addr}: {e}")),
        }
    }
    let admin_listener = match TcpListener::bind(settings.admin.listen).await {
        Ok(l) => l,
        Err(e) => {
            return fail(format!(
                "cannot listen on {} (admin): {e}",
                settings.admin.listen
            ));
        }
    };
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
    let admin_addr = admin_listener
        .local_addr()
        .map_or_else(|_| "?".into(), |a| a.to_string());
    tracing::info!(
        http = http_addrs.join(","),
        admin = admin_addr,
        functions = shared.current().functions.len(),
        workers = shared.pool.workers(),
        data_dir = %settings.data_dir.display(),
        "listening"
    );

    let (stop_tx, stop_rx) = watch::channel(false);
    let graceful = Arc::new(GracefulShutdown::new());
    let connections = Arc::new(Semaphore::new(settings.http.max_connections));
    let mut accept_tasks = Vec::new();
    for listener in listeners {
        accept_tasks.push(tokio::spawn(accept(
            listener,
            shared.clone(),
            graceful.clone(),
            connections.clone(),
            stop_rx.clone(),
            false,
        )));
    }
    let admin_graceful = Arc::new(GracefulShutdown::new());
    let admin_task = tokio::spawn(accept(
        admin_listener,
        shared.clone(),
        admin_graceful.clone(),
        Arc::new(Semaphore::new(64)),
        stop_rx.clone(),
        true,
    ));
    let hup = tokio::spawn(reload::on_sighup(shared.clone(), signals.hup));
    let storage = tokio::spawn(recover_storage(shared.clone()));
    let watcher = settings
        .watch
        .then(|| tokio::spawn(reload::watch(shared.clone())));
    shared.ready.store(true, Ordering::Relaxed);

    let signal = tokio::select! {
        _ = signals.term.recv() => "SIGTERM",
        _ = signals.int.recv() => "SIGINT",
    };
    tracing::info!(
        signal,
        "shutting down: no new connections, draining calls in flight"
    );
    shared.ready.store(false, Ordering::Relaxed);
    let _ = stop_tx.send(true);
    for task in accept_tasks {
        let _ = task.await;
    }
    hup.abort();
    storage.abort();
    if let Some(w) = watcher {
        w.abort();
    }
    let drain = shared.startup.drain_timeout;
    let drained = tokio::time::timeout(drain, shutdown(graceful))
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
    let _ = admin_task.await;
    let _ = tokio::time::timeout(Duration::from_millis(200), shutdown(admin_graceful)).await;
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

/// Tells every connection to finish its request in flight and close, and
/// waits for them (the accept loops, which held the other references, are done).
async fn shutdown(graceful: Arc<GracefulShutdown>) {
    if let Ok(g) = Arc::try_unwrap(graceful) {
        g.shutdown().await;
    }
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

async fn accept(
    listener: TcpListener,
    shared: Arc<Shared>,
    graceful: Arc<GracefulShutdown>,
    slots: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
    admin: bool,
) {
    let http = shared.startup.http.clone();
    loop {
        let permit = tokio::select! {
            _ = stop.changed() => return,
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
        };
        let (stream, peer): (_, SocketAddr) = tokio::select! {
            _ = stop.changed() => return,
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(http.header_read_timeout)
            .keep_alive(http.keep_alive)
            .max_buf_size(64 * 1024);
        let svc_shared = shared.clone();
        let conn = if admin {
            let svc = service_fn(move |req| admin::handle(svc_shared.clone(), req));
            graceful
                .watch(builder.serve_connection(TokioIo::new(stream), svc))
                .boxed_conn()
        } else {
            let svc = service_fn(move |req| http::handle(svc_shared.clone(), req));
            graceful
                .watch(builder.serve_connection(TokioIo::new(stream), svc))
                .boxed_conn()
        };
        if !admin {
            shared.connections.fetch_add(1, Ordering::Relaxed);
        }
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, "connection ended: {e}");
            }
            if !admin {
                shared.connections.fetch_sub(1, Ordering::Relaxed);
            }
            drop(permit);
        });
    }
}

type BoxedConn = std::pin::Pin<Box<dyn std::future::Future<Output = hyper::Result<()>> + Send>>;

trait BoxConn {
    fn boxed_conn(self) -> BoxedConn;
}

impl<F> BoxConn for F
where
    F: std::future::Future<Output = hyper::Result<()>> + Send + 'static,
{
    fn boxed_conn(self) -> BoxedConn {
        Box::pin(self)
    }
}
