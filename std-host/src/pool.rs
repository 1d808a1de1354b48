//! The worker pool: guest code runs on dedicated threads, never on the
//! async reactor. Jobs wait in a bounded queue; when it is full,
//! [`Pool::try_submit`] refuses at once (the HTTP layer answers `503`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A job: told how long it waited for a worker, and given its [`Slot`].
pub type Job = Box<dyn FnOnce(Duration, Slot) + Send + 'static>;

/// A job's place in the pool: dropping it frees the place. A job drops it
/// before handing its result on, so that whoever gets the result finds the
/// worker free already.
pub struct Slot(Arc<Counters>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::Relaxed);
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

struct Queued {
    job: Job,
    at: Instant,
}

#[derive(Default)]
struct Counters {
    /// Jobs accepted and not finished: at most workers + queue.
    admitted: AtomicU64,
    queued: AtomicU64,
    running: AtomicU64,
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
    pub fn try_submit(&self, job: Job) -> Result<(), Full> {
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        let Some(tx) = tx.as_ref() else {
            return Err(Full);
        };
        let limit = (self.workers + self.capacity) as u64;
        if self.counters.admitted.fetch_add(1, Ordering::AcqRel) >= limit {
            self.counters.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(Full);
        }
        self.counters.queued.fetch_add(1, Ordering::Relaxed);
        match tx.try_send(Queued {
            job,
            at: Instant::now(),
        }) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counters.queued.fetch_sub(1, Ordering::Relaxed);
                self.counters.admitted.fetch_sub(1, Ordering::AcqRel);
                Err(Full)
            }
        }
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
        let Ok(Queued { job, at }) = next else {
            return;
        };
        counters.queued.fetch_sub(1, Ordering::Relaxed);
        counters.running.fetch_add(1, Ordering::Relaxed);
        let slot = Slot(counters.clone());
        // A panic in a job must not take the worker down with it (the slot
        // is dropped while unwinding).
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(at.elapsed(), slot)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    #[test]
    fn a_full_queue_refuses_and_jobs_run() {
        let pool = Pool::new(1, 1);
        let (release_tx, release_rx) = channel::<()>();
        let (started_tx, started_rx) = channel::<()>();
        pool.try_submit(Box::new(move |_, _| {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        }))
        .unwrap();
        started_rx.recv().unwrap();
        let (done_tx, done_rx) = channel();
        pool.try_submit(Box::new(move |_, _| done_tx.send(1).unwrap()))
            .unwrap();
        assert_eq!(pool.queued(), 1);
        assert_eq!(pool.try_submit(Box::new(|_, _| {})), Err(Full));
        release_tx.send(()).unwrap();
        assert_eq!(done_rx.recv().unwrap(), 1);
        pool.join();
        assert_eq!(pool.try_submit(Box::new(|_, _| {})), Err(Full));
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
