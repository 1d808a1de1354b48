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

use core::mem::ManuallyDrop;

use embassy_futures::join::join;
use embassy_net::Stack;
use embassy_net::tcp::TcpSocket;
use embassy_time::{Duration, Timer, with_timeout};
use embedded_storage::nor_flash::NorFlash;
use picoserve::routing::PathRouter;
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

/// How long a closed connection may wait for the client to acknowledge
/// the response and close its own half before the worker lets it go.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Buffers of one HTTP worker: two slots of `SLOT` bytes. One holds the
/// TCP socket (receive window `RX`, send window `SLOT - RX`), the other
/// picoserve's request buffer (request line, headers and body must fit in
/// it); they swap at each connection (see [`serve`]).
pub struct HttpBuffers<const SLOT: usize = 2560, const RX: usize = 1024> {
    slots: [[u8; SLOT]; 2],
}

impl<const SLOT: usize, const RX: usize> HttpBuffers<SLOT, RX> {
    /// Zeroed buffers, for a `StaticCell`.
    pub const fn new() -> Self {
        const { assert!(RX < SLOT, "the send window needs some of the slot") };
        Self {
            slots: [[0; SLOT]; 2],
        }
    }
}

impl<const SLOT: usize, const RX: usize> Default for HttpBuffers<SLOT, RX> {
    fn default() -> Self {
        Self::new()
    }
}

/// A socket on `slot`, listening on `port` once [`accept`] polls it.
fn socket<'a, const RX: usize>(stack: Stack<'a>, slot: &'a mut [u8]) -> TcpSocket<'a> {
    let (rx, tx) = slot.split_at_mut(RX);
    let mut socket = TcpSocket::new(stack, rx, tx);
    socket.set_nagle_enabled(false);
    socket.set_timeout(Some(Duration::from_secs(30)));
    socket.set_keep_alive(Some(Duration::from_secs(10)));
    socket
}

/// Waits for a client on `socket` while `closing`, the worker's previous
/// connection, finishes: its response and FIN acknowledged and the
/// client's FIN received, within [`CLOSE_WAIT`].
async fn accept(
    socket: &mut TcpSocket<'_>,
    port: u16,
    worker: usize,
    closing: Option<TcpSocket<'_>>,
) {
    let close = async {
        if let Some(mut old) = closing {
            let _ = with_timeout(CLOSE_WAIT, async {
                let _ = old.flush().await;
                let mut byte = [0; 1];
                while let Ok(1..) = old.read(&mut byte).await {}
            })
            .await;
        }
    };
    let accepted = async {
        while let Err(e) = socket.accept(port).await {
            warn!("http {}: accept: {:?}", worker, e);
            socket.abort();
            Timer::after_millis(10).await;
        }
    };
    join(close, accepted).await;
}

/// Serves the connection on `socket` with picoserve (`request` as its
/// buffer) until it ends; `socket` is left closed, its FIN queued.
async fn serve_one<P: PathRouter>(
    app: &Router<P>,
    socket: &mut TcpSocket<'_>,
    request: &mut [u8],
    worker: usize,
) {
    trace!("http {}: connection", worker);
    match Server::new(app, &SERVER_CONFIG, request)
        .serve(connection::Connection(socket))
        .await
    {
        Ok(info) => trace!("http {}: {} requests", worker, info.handled_requests_count),
        Err(e) => debug!("http {}: connection ended: {:?}", worker, e),
    }
    socket.close();
}

/// Accepts connections on [`Config::http_port`](crate::config::Config::http_port)
/// and serves them, forever. `worker` names it in logs.
///
/// smoltcp has no listen backlog: a SYN that finds no socket listening is
/// answered with a RST. A client closes and connects again at once, so its
/// FIN and its next SYN reach the device together, before the worker is
/// polled; a worker that listened again only once its connection had
/// closed refused that client whenever the other workers were busy (with
/// two workers, one running a guest). So a worker listens on one slot of
/// its buffers while its previous connection closes on the other, then
/// serves with that other slot as picoserve's request buffer.
pub async fn serve<F: NorFlash + 'static, const SLOT: usize, const RX: usize>(
    jinn: &'static Jinn<F>,
    stack: Stack<'_>,
    worker: usize,
    buffers: &mut HttpBuffers<SLOT, RX>,
) -> ! {
    let app = Router::from_service(Service { jinn });
    let port = jinn.config().http_port;
    let [one, two] = &mut buffers.slots;
    // The connection closing on `two` when a round starts. ManuallyDrop:
    // it is always taken (and dropped) before it is set again.
    let mut closing_on_two: Option<ManuallyDrop<TcpSocket<'_>>> = None;
    loop {
        let mut on_one = socket::<RX>(stack, one);
        accept(
            &mut on_one,
            port,
            worker,
            closing_on_two.take().map(ManuallyDrop::into_inner),
        )
        .await;
        serve_one(&app, &mut on_one, two, worker).await;

        let mut on_two = socket::<RX>(stack, two);
        accept(&mut on_two, port, worker, Some(on_one)).await;
        serve_one(&app, &mut on_two, one, worker).await;
        closing_on_two = Some(ManuallyDrop::new(on_two));
    }
}
