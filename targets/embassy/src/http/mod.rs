//! HTTP-triggered functions through picoserve, one TCP connection per worker.
//!
//! Run [`serve`] in several tasks (each with its own [`HttpBuffers`]): while
//! one worker waits for a function, the others keep answering, `/healthz`
//! included. Keep-alive responses leave in one segment, without waiting for
//! the client's delayed ACK between headers and body (see `connection.rs`);
//! Nagle's algorithm is off as well, so nothing waits for an ACK.

mod connection;
mod response;
mod service;

use embassy_net::Stack;
use embassy_net::tcp::TcpSocket;
use embassy_time::Duration;
use embedded_storage::nor_flash::NorFlash;
use picoserve::{Router, Server, Timeouts};

pub use service::{HEALTH_PATH, Service};

use crate::device::Jinn;

/// picoserve settings: keep-alive, generous write timeout.
static SERVER_CONFIG: picoserve::Config = picoserve::Config::new(Timeouts {
    start_read_request: Duration::from_secs(5),
    persistent_start_read_request: Duration::from_secs(2),
    read_request: Duration::from_secs(3),
    write: Duration::from_secs(2),
})
.keep_connection_alive();

/// Buffers of one HTTP worker: TCP receive and send windows, and picoserve's
/// request buffer (request line, headers and body must fit in it).
pub struct HttpBuffers<const RX: usize = 1024, const TX: usize = 1536, const REQUEST: usize = 2048>
{
    rx: [u8; RX],
    tx: [u8; TX],
    request: [u8; REQUEST],
}

impl<const RX: usize, const TX: usize, const REQUEST: usize> HttpBuffers<RX, TX, REQUEST> {
    /// Zeroed buffers, for a `StaticCell`.
    pub const fn new() -> Self {
        Self {
            rx: [0; RX],
            tx: [0; TX],
            request: [0; REQUEST],
        }
    }
}

impl<const RX: usize, const TX: usize, const REQUEST: usize> Default
    for HttpBuffers<RX, TX, REQUEST>
{
    fn default() -> Self {
        Self::new()
    }
}

/// Accepts connections on [`Config::http_port`](crate::config::Config::http_port)
/// and serves them, forever. `worker` names it in logs.
pub async fn serve<
    F: NorFlash + 'static,
    const RX: usize,
    const TX: usize,
    const REQUEST: usize,
>(
    jinn: &'static Jinn<F>,
    stack: Stack<'_>,
    worker: usize,
    buffers: &mut HttpBuffers<RX, TX, REQUEST>,
) -> ! {
    let app = Router::from_service(Service { jinn });
    let port = jinn.config().http_port;
    loop {
        let mut socket = TcpSocket::new(stack, &mut buffers.rx, &mut buffers.tx);
        socket.set_nagle_enabled(false);
        socket.set_timeout(Some(Duration::from_secs(30)));
        socket.set_keep_alive(Some(Duration::from_secs(10)));
        if let Err(e) = socket.accept(port).await {
            warn!("http {}: accept: {:?}", worker, e);
            continue;
        }
        trace!("http {}: connection", worker);
        match Server::new(&app, &SERVER_CONFIG, &mut buffers.request)
            .serve(connection::Connection(socket))
            .await
        {
            Ok(info) => trace!("http {}: {} requests", worker, info.handled_requests_count),
            Err(e) => debug!("http {}: connection ended: {:?}", worker, e),
        }
    }
}
