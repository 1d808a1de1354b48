//! The worker pool: guest code runs on dedicated threads, never on the
//! async reactor. Jobs wait in a bounded queue; when it is full,
//! [`Pool::try_submit`] refuses at once (the HTTP layer answers `503`). A
//! job that waited too long is withdrawn ([`Ticket::withdraw`]): it no
//! longer counts as queued and never runs; its place is freed when a worker
//! reaches it, which it skips.
//!
//! A job that must wait (a guest that sleeps) gives its worker back but
//! keeps its place: [`Slot::pause`] turns the slot into an [`Admission`],
//! and [`Pool::resubmit`] queues the rest of the work with it. Admitted jobs,
//! running, queued or paused, are at most workers + queue, so a resubmitted
//! job always finds room in the channel.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A job: told how long it waited for a worker, and given its [`Slot`].
pub type Job = Box<dyn FnOnce(Duration, Slot) + Send + 'static>;

/// A job's place in the pool while it is not running (queued or paused):
/// dropping it frees the place.
pub struct Admission(Arc<Counters>);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A running job's worker and place: dropping it frees both. A job drops it
/// before handing its result on, so that whoever gets the result finds the
/// worker free already.
pub struct Slot(Option<Admission>);

impl Slot {
    /// A slot outside the pool, for a job run elsewhere after the pool
    /// closed (it must not pause).
    pub fn detached() -> Self {
        Self(None)
    }

    /// Gives the worker back, keeps the place (for [`Pool::resubmit`]).
    pub fn pause(mut self) -> Admission {
        let admission = self
            .0
            .take()
            .expect("a slot holds its admission until dropped");
        admission.0.running.fetch_sub(1, Ordering::Relaxed);
        admission.0.paused.fetch_add(1, Ordering::Relaxed);
        admission
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(admission) = self.0.take() {
            admission.0.running.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

struct Queued {
    job: Job,
    at: Instant,
    admission: Admission,
    /// `None` for a resubmitted job, which cannot be withdrawn.
    ticket: Option<Arc<AtomicU8>>,
}

const WAITING: u8 = 0;
const STARTED: u8 = 1;
const WITHDRAWN: u8 = 2;

/// A queued job's claim: whoever comes first, a worker that starts it or
/// [`Ticket::withdraw`], has it.
pub struct Ticket {
    state: Arc<AtomicU8>,
    counters: Arc<Counters>,
}

impl Ticket {
    /// Takes the job back if no worker has started it: it is then dropped
    /// unrun. False when it already started.
    pub fn withdraw(&self) -> bool {
        let won = self
            .state
            .compare_exchange(WAITING, WITHDRAWN, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if won {
            self.counters.queued.fetch_sub(1, Ordering::Relaxed);
        }
        won
    }
}

#[derive(Default)]
struct Counters {
    /// Jobs accepted and not finished: at most workers + queue.
    admitted: AtomicU64,
    queued: AtomicU64,
    running: AtomicU64,
    /// Jobs waiting outside the pool (a sleeping guest).
    paused: AtomicU64,
}

/// A fixed set of worker threads behind a bounded queue.
pub struct Pool {
    tx: Mutex<Option<SyncSender<Queued>>>,
    counters: Arc<Counters>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    workers: usize,
    capacity: usize,
}

/// The queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

impl Pool {
    /// Starts `workers` threads (at least one) with room for `queue` waiting jobs.
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        // Admission is counted (`admitted`), so that a worker between two jobs
        // still counts as free; the channel never refuses an admitted job.
        let (tx, rx) = sync_channel::<Queued>(workers + queue);
        let rx = Arc::new(Mutex::new(rx));
        let counters = Arc::new(Counters::default());
        let threads = (0..workers)
            .map(|i| {
                let rx = rx.clone();
                let counters = counters.clone();
                crate::call_thread::builder(format!("jinn-worker-{i}"))
                    .spawn(move || work(&rx, &counters))
                    .expect("the OS starts a worker thread")
            })
            .collect();
        Self {
            tx: Mutex::new(Some(tx)),
            counters,
            threads: Mutex::new(threads),
            workers,
            capacity: queue,
        }
    }

    /// Queues `job`, or refuses when every worker is busy and the queue is full.
    ///
    /// # Errors
    ///
    /// [`Full`] when the job cannot be queued (also after [`Pool::close`]).
    pub fn try_submit(&self, job: Job) -> Result<Ticket, Full> {
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        let Some(tx) = tx.as_ref() else {
            return Err(Full);
        };
        let limit = (self.workers + self.capacity) as u64;
        if self.counters.admitted.fetch_add(1, Ordering::AcqRel) >= limit {
            self.counters.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(Full);
        }
        let admission = Admission(self.counters.clone());
        let state = Arc::new(AtomicU8::new(WAITING));
        self.send(tx, job, admission, Some(state.clone()))
            .map_err(|_| Full)?;
        Ok(Ticket {
            state,
            counters: self.counters.clone(),
        })
    }

    /// Queues the rest of a paused job with its place.
    ///
    /// # Errors
    ///
    /// The job back after [`Pool::close`] (its place is freed).
    pub fn resubmit(&self, admission: Admission, job: Job) -> Result<(), Job> {
        self.counters.paused.fetch_sub(1, Ordering::Relaxed);
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        match tx.as_ref() {
            Some(tx) => self.send(tx, job, admission, None),
            None => Err(job),
        }
    }

    fn send(
        &self,
        tx: &SyncSender<Queued>,
        job: Job,
        admission: Admission,
        ticket: Option<Arc<AtomicU8>>,
    ) -> Result<(), Job> {
        self.counters.queued.fetch_add(1, Ordering::Relaxed);
        match tx.try_send(Queued {
            job,
            at: Instant::now(),
            admission,
            ticket,
        }) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(q) | TrySendError::Disconnected(q)) => {
                self.counters.queued.fetch_sub(1, Ordering::Relaxed);
                Err(q.job)
            }
        }
    }

    /// Jobs paused outside the pool (sleeping guests).
    pub fn paused(&self) -> u64 {
        self.counters.paused.load(Ordering::Relaxed)
    }

    /// Jobs waiting.
    pub fn queued(&self) -> u64 {
        self.counters.queued.load(Ordering::Relaxed)
    }

    /// Jobs running.
    pub fn running(&self) -> u64 {
        self.counters.running.load(Ordering::Relaxed)
    }

    /// Worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Queue capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Refuses new jobs; the workers finish the queued ones and stop.
    pub fn close(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// Closes and waits for the workers to stop.
    pub fn join(&self) {
        self.close();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        for t in threads {
            let _ = t.join();
        }
    }
}

fn work(rx: &Mutex<Receiver<Queued>>, counters: &Arc<Counters>) {
    loop {
        let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(Queued {
            job,
            at,
            admission,
            ticket,
        }) = next
        else {
            return;
        };
        let withdrawn = ticket.is_some_and(|t| {
            t.compare_exchange(WAITING, STARTED, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        });
        if withdrawn {
            // Counted out of the queue when withdrawn; its place is freed here.
            drop((job, admission));
            continue;
        }
        counters.queued.fetch_sub(1, Ordering::Relaxed);
        counters.running.fetch_add(1, Ordering::Relaxed);
        let slot = Slot(Some(admission));
        // A panic in a job must not take the worker down with it (the slot
        // is dropped while unwinding).
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(at.elapsed(), slot)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{Sender, channel};

    /// Keeps `pool`'s worker busy until the sender is used.
    fn busy(pool: &Pool) -> Sender<()> {
        let (release_tx, release_rx) = channel::<()>();
        let (started_tx, started_rx) = channel::<()>();
        pool.try_submit(Box::new(move |_, _| {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        }))
        .unwrap();
        started_rx.recv().unwrap();
        release_tx
    }

    #[test]
    fn a_full_queue_refuses_and_jobs_run() {
        let pool = Pool::new(1, 1);
        let release_tx = busy(&pool);
        let (done_tx, done_rx) = channel();
        pool.try_submit(Box::new(move |_, _| done_tx.send(1).unwrap()))
            .unwrap();
        assert_eq!(pool.queued(), 1);
        assert!(matches!(pool.try_submit(Box::new(|_, _| {})), Err(Full)));
        release_tx.send(()).unwrap();
        assert_eq!(done_rx.recv().unwrap(), 1);
        pool.join();
        assert!(matches!(pool.try_submit(Box::new(|_, _| {})), Err(Full)));
    }

    #[test]
    fn a_withdrawn_job_leaves_the_queue_and_never_runs() {
        let pool = Pool::new(1, 1);
        let release_tx = busy(&pool);
        let (ran_tx, ran_rx) = channel::<()>();
        let ticket = pool
            .try_submit(Box::new(move |_, _| ran_tx.send(()).unwrap()))
            .unwrap();
        assert_eq!(pool.queued(), 1);
        assert!(ticket.withdraw());
        assert!(!ticket.withdraw());
        assert_eq!(pool.queued(), 0);
        release_tx.send(()).unwrap();
        // The worker skips it (its sender is dropped unused), and its place is free again.
        assert!(ran_rx.recv().is_err());
        let (done_tx, done_rx) = channel();
        pool.try_submit(Box::new(move |_, _| done_tx.send(1).unwrap()))
            .unwrap();
        assert_eq!(done_rx.recv().unwrap(), 1);
        // A job a worker started cannot be withdrawn.
        let (go_tx, go_rx) = channel::<()>();
        let started = pool
            .try_submit(Box::new(move |_, _| go_tx.send(()).unwrap()))
            .unwrap();
        go_rx.recv().unwrap();
        assert!(!started.withdraw());
        pool.join();
    }

    #[test]
    fn a_paused_job_frees_its_worker_and_keeps_its_place() {
        let pool = Arc::new(Pool::new(1, 0));
        let (paused_tx, paused_rx) = channel();
        pool.try_submit(Box::new(move |_, slot: Slot| {
            paused_tx.send(slot.pause()).unwrap();
        }))
        .unwrap();
        let admission = paused_rx.recv().unwrap();
        assert_eq!((pool.running(), pool.paused()), (0, 1));
        // Its place is kept: a new job is refused (1 worker, no queue)...
        assert!(matches!(pool.try_submit(Box::new(|_, _| {})), Err(Full)));
        // ...and the rest of it always finds room.
        let (done_tx, done_rx) = channel();
        assert!(
            pool.resubmit(admission, Box::new(move |_, _| done_tx.send(()).unwrap()))
                .is_ok()
        );
        done_rx.recv().unwrap();
        pool.join();
        assert_eq!(pool.paused(), 0);
    }

    #[test]
    fn without_a_queue_an_idle_worker_still_takes_a_job() {
        // Submitted before the worker thread reaches its first `recv`.
        let pool = Pool::new(1, 0);
        let (tx, rx) = channel();
        pool.try_submit(Box::new(move |_, _| tx.send(()).unwrap()))
            .unwrap();
        rx.recv().unwrap();
        pool.join();
    }
}
