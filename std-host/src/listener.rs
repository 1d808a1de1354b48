//! Accepting connections and serving HTTP/1.1 on them, for the data plane
//! and the admin listener alike: the caps of [`Connections`] with a clear
//! refusal (`503 too_many_connections`, then close), the idle timeout, a
//! graceful close on shutdown, and panics contained per request and per
//! connection (answered `500`, counted, never taking the reactor thread or
//! the process with them).

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use crate::connections::{Activity, Connections};
use crate::http::{Body, error};
use crate::metrics::Metrics;

/// Which listener, for metrics and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plane {
    /// The function routes.
    Data,
    /// `/metrics`, `/healthz`, `/readyz`.
    Admin,
}

impl Plane {
    /// `http` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Data => "http",
            Self::Admin => "admin",
        }
    }
}

/// HTTP settings of a listener.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Which listener.
    pub plane: Plane,
    /// Time to receive a request's headers.
    pub header_read_timeout: Duration,
    /// HTTP/1.1 keep-alive.
    pub keep_alive: bool,
    /// A connection with no request in flight for this long is closed.
    pub idle_timeout: Duration,
}

/// Refusals being written at once at most; beyond, refused sockets are just closed.
const REFUSALS_IN_FLIGHT: usize = 64;
/// How long a refused client gets to read its answer.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

/// The answer of a refused connection, written before anything is read.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 32\r\n\r\n{\"error\":\"too_many_connections\"}";

/// Accepts on `listener` until `stop` turns true, serving each admitted
/// connection with `handler`, which is given `state` and a request. With
/// `tls`, each connection first completes a TLS handshake with the server
/// configuration in force in `state` (within the header read timeout), and
/// refused connections are closed without an answer.
#[allow(clippy::too_many_arguments)]
pub async fn accept<S, H, F>(
    listener: TcpListener,
    connections: Arc<Connections>,
    state: Arc<S>,
    metrics: Arc<Metrics>,
    handler: H,
    options: Options,
    mut stop: watch::Receiver<bool>,
    tls: Option<crate::tls::Current<S>>,
) where
    S: Send + Sync + 'static,
    H: Fn(Arc<S>, Request<Incoming>) -> F + Copy + Send + Sync + 'static,
    F: Future<Output = Result<Response<Body>, Infallible>> + Send + 'static,
{
    let plane = options.plane.as_str();
    let refusing = Arc::new(Semaphore::new(REFUSALS_IN_FLIGHT));
    loop {
        let (stream, peer): (TcpStream, SocketAddr) = tokio::select! {
            _ = stop.changed() => return,
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(listener = plane, "accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        match connections.admit(peer.ip()) {
            Ok(admitted) => {
                let (state, metrics, stop) = (state.clone(), metrics.clone(), stop.clone());
                tokio::spawn(async move {
                    let conn = Conn {
                        peer,
                        activity: admitted.activity().clone(),
                        metrics,
                        options,
                    };
                    match tls {
                        None => conn.serve(stream, state, handler, stop).await,
                        Some(current) => {
                            let Some(config) = current(&state) else {
                                return;
                            };
                            let limit = options.header_read_timeout;
                            if let Some(stream) =
                                crate::tls::handshake(stream, config, limit, peer).await
                            {
                                conn.serve(stream, state, handler, stop).await;
                            }
                        }
                    }
                    drop(admitted);
                });
            }
            Err(why) => {
                metrics.connection_refused(options.plane, why);
                tracing::debug!(%peer, listener = plane, reason = why.as_str(), "connection refused");
                if tls.is_some() {
                    continue;
                }
                if let Ok(permit) = refusing.clone().try_acquire_owned() {
                    tokio::spawn(async move {
                        let _ = tokio::time::timeout(REFUSAL_LINGER, refuse(stream)).await;
                        drop(permit);
                    });
                }
            }
        }
    }
}

/// Writes [`REFUSAL`], then reads until the client closes (so that closing
/// with unread data does not reset the connection before it read the answer).
async fn refuse(mut stream: TcpStream) {
    if stream.write_all(REFUSAL).await.is_err() {
        return;
    }
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
}

/// One admitted connection.
pub struct Conn {
    /// The client.
    pub peer: SocketAddr,
    /// Its activity in the connection table.
    pub activity: Arc<Activity>,
    /// Where panics are counted.
    pub metrics: Arc<Metrics>,
    /// The listener's settings.
    pub options: Options,
}

impl Conn {
    /// Serves HTTP/1.1 on `io` until it closes: by the client, by the idle
    /// timeout, when the table evicts it, or at shutdown (`stop`).
    pub async fn serve<I, S, H, F>(
        self,
        io: I,
        state: Arc<S>,
        handler: H,
        mut stop: watch::Receiver<bool>,
    ) where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        S: Send + Sync + 'static,
        H: Fn(Arc<S>, Request<Incoming>) -> F + Copy + Send + Sync + 'static,
        F: Future<Output = Result<Response<Body>, Infallible>> + Send + 'static,
    {
        let Self {
            peer,
            activity,
            metrics,
            options,
        } = self;
        let plane = options.plane.as_str();
        let svc_activity = activity.clone();
        let svc_metrics = metrics.clone();
        let svc = service_fn(move |req: Request<Incoming>| {
            let in_flight = svc_activity.request();
            let metrics = svc_metrics.clone();
            let fut = Box::pin(handler(state.clone(), req));
            async move {
                let answer = poll_fn(caught(fut)).await;
                drop(in_flight);
                let response = match answer {
                    Ok(Ok(response)) => response,
                    Ok(Err(never)) => match never {},
                    Err(()) => {
                        metrics.panicked(options.plane);
                        tracing::error!(listener = plane, "request handler panicked; answered 500");
                        error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "")
                    }
                };
                Ok::<_, Infallible>(response)
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(options.header_read_timeout)
            .keep_alive(options.keep_alive)
            .max_buf_size(64 * 1024);
        let mut conn = Box::pin(builder.serve_connection(TokioIo::new(io), svc));
        let mut closing = false;
        loop {
            let why = tokio::select! {
                ended = poll_fn(caught(conn.as_mut())) => {
                    match ended {
                        Err(()) => {
                            metrics.panicked(options.plane);
                            tracing::error!(%peer, listener = plane, "connection task panicked; connection closed");
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, listener = plane, "connection ended: {e}"),
                        Ok(Ok(())) => {}
                    }
                    return;
                }
                () = activity.evicted(), if !closing => "evicted to make room",
                () = idle_expired(&activity, options.idle_timeout), if !closing => "idle",
                _ = stop.changed(), if !closing => "shutting down",
            };
            tracing::trace!(%peer, listener = plane, "closing connection: {why}");
            closing = true;
            conn.as_mut().graceful_shutdown();
        }
    }
}

/// Resolves once the connection has had no request in flight for `idle`.
async fn idle_expired(activity: &Activity, idle: Duration) {
    loop {
        let idle_for = activity.idle_for();
        if idle_for >= idle {
            return;
        }
        // Busy (zero) or not idle long enough yet: look again later.
        let wait = if idle_for.is_zero() {
            idle
        } else {
            idle - idle_for
        };
        tokio::time::sleep(wait.max(Duration::from_millis(10))).await;
    }
}

/// Polls `fut`, turning a panic into `Err(())`.
fn caught<F: Future + Unpin>(
    mut fut: F,
) -> impl FnMut(&mut Context<'_>) -> Poll<Result<F::Output, ()>> {
    move |cx| match std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(&mut fut).poll(cx))) {
        Ok(Poll::Pending) => Poll::Pending,
        Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
        Err(_) => Poll::Ready(Err(())),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use bytes::Bytes;
    use http_body_util::Full;

    use super::*;
    use crate::connections::ConnectionLimits;
    use crate::metrics::Gauges;

    async fn panicky(_: Arc<()>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
        assert_ne!(req.uri().path(), "/panic", "a bug in a handler");
        Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
    }

    fn get(stream: &mut std::net::TcpStream, path: &str) -> String {
        write!(stream, "GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn a_panicking_handler_costs_one_request_not_the_reactor() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let metrics = Arc::new(Metrics::default());
        let (stop_tx, stop) = watch::channel(false);
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Connections::new(ConnectionLimits {
            total: 8,
            per_peer: 8,
            idle: Duration::from_secs(5),
        });
        let options = Options {
            plane: Plane::Data,
            header_read_timeout: Duration::from_secs(5),
            keep_alive: true,
            idle_timeout: Duration::from_secs(5),
        };
        let server = runtime.spawn(accept(
            listener,
            connections.clone(),
            Arc::new(()),
            metrics.clone(),
            panicky,
            options,
            stop,
            None,
        ));
        let thread = std::thread::spawn(runtime_thread(runtime, server));
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert!(get(&mut conn, "/panic").starts_with("HTTP/1.1 500"));
        assert!(
            get(&mut conn, "/fine").starts_with("HTTP/1.1 200"),
            "same connection"
        );
        let mut other = std::net::TcpStream::connect(addr).unwrap();
        other
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        assert!(get(&mut other, "/fine").starts_with("HTTP/1.1 200"));
        let text = metrics.encode(&Gauges::default());
        assert!(
            text.contains("jinn_panics_total{listener=\"http\"} 1"),
            "{text}"
        );
        stop_tx.send(true).unwrap();
        drop((conn, other));
        thread.join().unwrap();
        assert_eq!(connections.open(), 0, "no connection leaked");
    }

    fn runtime_thread(
        runtime: tokio::runtime::Runtime,
        server: tokio::task::JoinHandle<()>,
    ) -> impl FnOnce() {
        move || {
            runtime.block_on(async {
                let _ = server.await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            });
        }
    }
}
