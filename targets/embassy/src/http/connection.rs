//! An embassy-net TCP connection as picoserve sees it, with a `flush` that
//! does not wait for the client's ACK.
//!
//! picoserve flushes after the response headers and again after the body;
//! embassy-net's `flush` waits until the peer has acknowledged every byte.
//! Linux delays its ACKs (about 40 ms) when it has nothing to send, so each
//! keep-alive response stalled between its headers and its body: the 43 ms
//! per request measured before this wrapper. Here `flush` returns at once:
//! the bytes are in the socket's send buffer and the stack sends them on
//! its next poll, headers and body together.
//!
//! Closing is left to the worker ([`super::serve`]): picoserve's shutdown
//! only closes the socket here, and the worker waits for the close while it
//! listens for the next client.

use embassy_net::tcp::{Error, TcpReader, TcpSocket, TcpWriter};
use picoserve::io::{BaseWrite, ErrorType, Socket, Write};
use picoserve::mem::BorrowedCursor;
use picoserve::{EmbassyRuntime, Timeouts, Timer};

/// A connected socket for picoserve.
pub(crate) struct Connection<'s, 'a>(pub(crate) &'a mut TcpSocket<'s>);

/// The write half: writes go to the send buffer, `flush` does not wait.
pub(crate) struct Writer<'a>(TcpWriter<'a>);

impl ErrorType for Writer<'_> {
    type Error = Error;
}

impl BaseWrite for Writer<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Error> {
        self.0.write(buf).await
    }

    async fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

impl Write for Writer<'_> {
    async fn write_with<F: FnOnce(BorrowedCursor<'_>) -> R, R>(
        &mut self,
        f: F,
    ) -> Result<R, Error> {
        Write::write_with(&mut self.0, f).await
    }
}

impl<'s, 'c> Socket<EmbassyRuntime> for Connection<'s, 'c> {
    type Error = Error;
    type ReadHalf<'a>
        = TcpReader<'a>
    where
        's: 'a,
        'c: 'a;
    type WriteHalf<'a>
        = Writer<'a>
    where
        's: 'a,
        'c: 'a;

    fn split(&mut self) -> (Self::ReadHalf<'_>, Self::WriteHalf<'_>) {
        let (reader, writer) = self.0.split();
        (reader, Writer(writer))
    }

    async fn abort<T: Timer<EmbassyRuntime>>(
        self,
        timeouts: &Timeouts,
        timer: &T,
    ) -> Result<(), picoserve::Error<Error>> {
        self.0.abort();
        timer
            .run_with_timeout(timeouts.write, self.0.flush())
            .await
            .map_err(picoserve::Error::WriteTimeout)?
            .map_err(picoserve::Error::Write)
    }

    /// Closes the socket (its FIN follows the response); the worker waits
    /// for the close to complete while it listens again.
    async fn shutdown<T: Timer<EmbassyRuntime>>(
        self,
        _timeouts: &Timeouts,
        _timer: &T,
    ) -> Result<(), picoserve::Error<Error>> {
        self.0.close();
        Ok(())
    }
}
