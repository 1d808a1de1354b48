//! A call from the HTTP side to its end: queued on the worker pool, run by a
//! worker, and — while its guest sleeps (`poll_oneoff`: Go's `time.Sleep`) —
//! parked on a tokio timer that holds no worker thread. The call keeps its
//! place in the pool while asleep ([`Slot::pause`]), so sleeping calls count
//! against `pool.queue` and the memory they hold stays bounded; its sleep
//! counts against the function's wall-clock `timeout`, never its fuel.
//! A client waits for a worker at most `pool.queue_timeout`: then it
//! withdraws its call ([`Ticket::withdraw`]), which is dropped unrun.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jinn_core::Request;
use tokio::runtime::Handle;
use tokio::sync::{Notify, oneshot};

use crate::call::{self, CallResult, Pending, Stepped};
use crate::loaded::Loaded;
use crate::pool::{Admission, Full, Job, Slot, Ticket};
use crate::shared::Shared;

/// Tells a call that its client left: at its next slice, or at once when it sleeps.
#[derive(Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
    wake: Notify,
}

impl Cancel {
    /// Stops the call.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }
}

/// Where the result goes.
type Reply = oneshot::Sender<CallResult>;

/// Queues a call of `loaded` on `request`; its result arrives on the
/// receiver (which closes without a value when the client left before it
/// started), and the ticket that withdraws it while it waits.
///
/// # Errors
///
/// [`Full`] when the pool has no room.
pub fn submit(
    shared: &Arc<Shared>,
    loaded: Arc<Loaded>,
    request: Request,
    trace_id: String,
    cancel: Arc<Cancel>,
) -> Result<(oneshot::Receiver<CallResult>, Ticket), Full> {
    let (tx, rx) = oneshot::channel();
    let runtime = Handle::current();
    let job: Job = {
        let shared = shared.clone();
        Box::new(move |_waited: Duration, slot: Slot| {
            let stepped = call::run(&shared, &loaded, &request, &trace_id, &cancel.flag);
            settle(shared, runtime, stepped, slot, cancel, tx);
        })
    };
    shared.pool.try_submit(job).map(|ticket| (rx, ticket))
}

/// After a run on a worker: answer, or park the call until it wakes.
fn settle(
    shared: Arc<Shared>,
    runtime: Handle,
    stepped: Stepped,
    slot: Slot,
    cancel: Arc<Cancel>,
    tx: Reply,
) {
    match stepped {
        Stepped::Done(result) => {
            drop(slot);
            if let Some(result) = result {
                let _ = tx.send(result);
            }
        }
        Stepped::Asleep(pending, wake) => {
            let admission = slot.pause();
            let task = wake_later(
                shared,
                runtime.clone(),
                admission,
                pending,
                wake,
                cancel,
                tx,
            );
            runtime.spawn(task);
        }
    }
}

/// Waits until `wake` (or until the client leaves), then queues the rest of
/// the call with the place it kept.
async fn wake_later(
    shared: Arc<Shared>,
    runtime: Handle,
    admission: Admission,
    pending: Box<Pending>,
    wake: Instant,
    cancel: Arc<Cancel>,
    tx: Reply,
) {
    if !cancel.flag.load(Ordering::Relaxed) {
        tokio::select! {
            () = tokio::time::sleep_until(wake.into()) => {}
            () = cancel.wake.notified() => {}
        }
    }
    let stop = cancel.clone();
    let job: Job = {
        let shared = shared.clone();
        let runtime = runtime.clone();
        Box::new(move |_waited: Duration, slot: Slot| {
            let stepped = call::step(&shared, pending, &cancel.flag);
            settle(shared, runtime, stepped, slot, cancel, tx);
        })
    };
    if let Err(job) = shared.pool.resubmit(admission, job) {
        // The pool closed (shutdown past its drain): stop the call here so
        // that its publishes and metrics are kept.
        stop.cancel();
        let _ = tokio::task::spawn_blocking(move || job(Duration::ZERO, Slot::detached())).await;
    }
}
