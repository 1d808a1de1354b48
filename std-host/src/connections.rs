//! Who holds a connection, and for how long: a total cap, a cap per peer
//! address, and an idle timeout. A connection is *idle* when no request is
//! in flight on it (between keep-alive requests, or before its first request
//! has been read). When a cap is reached, the connection that has been idle
//! longest (the peer's own, for the per-peer cap) is asked to close and the
//! new one takes its place; only when every connection that counts is busy
//! is the new one refused. So idle or slow sockets, however many, never keep
//! a new client out, and one address cannot hold more than its share of
//! busy connections.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// The caps of one listener (or group of listeners).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Open connections at most.
    pub total: usize,
    /// Open connections from one peer address at most.
    pub per_peer: usize,
    /// A connection idle this long is closed.
    pub idle: Duration,
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Its peer holds `per_peer` busy connections.
    PerPeer,
    /// `total` busy connections are open.
    Total,
}

impl Refusal {
    /// `per_peer` or `total` (the metric label).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PerPeer => "per_peer",
            Self::Total => "total",
        }
    }
}

/// One connection's activity, shared by its task and the table.
#[derive(Debug)]
pub struct Activity {
    epoch: Instant,
    busy: AtomicU32,
    /// Nanoseconds after `epoch` when it last became idle.
    idle_since: AtomicU64,
    evicted: AtomicBool,
    close: Notify,
}

impl Activity {
    fn new(epoch: Instant) -> Self {
        Self {
            epoch,
            busy: AtomicU32::new(0),
            idle_since: AtomicU64::new(epoch.elapsed().as_nanos() as u64),
            evicted: AtomicBool::new(false),
            close: Notify::new(),
        }
    }

    /// A request started; the returned guard ends it when dropped.
    pub fn request(self: &Arc<Self>) -> InFlight {
        self.busy.fetch_add(1, Ordering::AcqRel);
        InFlight(self.clone())
    }

    /// No request in flight since this long (zero while busy).
    pub fn idle_for(&self) -> Duration {
        if self.busy.load(Ordering::Acquire) > 0 {
            return Duration::ZERO;
        }
        let since = Duration::from_nanos(self.idle_since.load(Ordering::Acquire));
        self.epoch.elapsed().saturating_sub(since)
    }

    /// Resolves when the table asks this connection to close (it was evicted).
    pub async fn evicted(&self) {
        let notified = self.close.notified();
        if self.evicted.load(Ordering::Acquire) {
            return;
        }
        notified.await;
    }

    fn idle_key(&self) -> Option<u64> {
        (self.busy.load(Ordering::Acquire) == 0).then(|| self.idle_since.load(Ordering::Acquire))
    }
}

/// A request in flight on a connection.
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.0;
        a.idle_since
            .store(a.epoch.elapsed().as_nanos() as u64, Ordering::Release);
        a.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

struct Entry {
    peer: IpAddr,
    activity: Arc<Activity>,
}

#[derive(Default)]
struct Table {
    entries: HashMap<u64, Entry>,
    per_peer: HashMap<IpAddr, usize>,
    next_id: u64,
}

impl Table {
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.entries.remove(&id)?;
        if let Some(n) = self.per_peer.get_mut(&entry.peer) {
            *n -= 1;
            if *n == 0 {
                self.per_peer.remove(&entry.peer);
            }
        }
        Some(entry)
    }

    /// Closes the connection idle longest (of `peer`, when given); false when all are busy.
    fn evict_idlest(&mut self, peer: Option<IpAddr>) -> bool {
        let idlest = self
            .entries
            .iter()
            .filter(|(_, e)| peer.is_none_or(|p| e.peer == p))
            .filter_map(|(id, e)| e.activity.idle_key().map(|since| (since, *id)))
            .min();
        let Some((_, id)) = idlest else {
            return false;
        };
        if let Some(entry) = self.remove(id) {
            entry.activity.evicted.store(true, Ordering::Release);
            entry.activity.close.notify_one();
        }
        true
    }
}

/// The open connections of a listener group.
pub struct Connections {
    limits: ConnectionLimits,
    epoch: Instant,
    table: Mutex<Table>,
    open: AtomicU64,
    evictions: AtomicU64,
    none_open: Notify,
}

impl Connections {
    /// An empty table with these caps.
    pub fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            epoch: Instant::now(),
            table: Mutex::default(),
            open: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            none_open: Notify::new(),
        })
    }

    /// The caps.
    pub fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a place for a new connection from `peer`, closing the idlest
    /// connection when a cap is reached.
    ///
    /// # Errors
    ///
    /// [`Refusal`] when the cap it hit has no idle connection to close.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Admitted, Refusal> {
        let mut table = self.lock();
        let peer_count = table.per_peer.get(&peer).copied().unwrap_or(0);
        if peer_count >= self.limits.per_peer {
            if !table.evict_idlest(Some(peer)) {
                return Err(Refusal::PerPeer);
            }
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
        if table.entries.len() >= self.limits.total {
            if !table.evict_idlest(None) {
                return Err(Refusal::Total);
            }
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
        let id = table.next_id;
        table.next_id += 1;
        let activity = Arc::new(Activity::new(self.epoch));
        table.entries.insert(
            id,
            Entry {
                peer,
                activity: activity.clone(),
            },
        );
        *table.per_peer.entry(peer).or_default() += 1;
        self.open.fetch_add(1, Ordering::Relaxed);
        Ok(Admitted {
            id,
            activity,
            connections: self.clone(),
        })
    }

    /// Connections open (evicted ones count until they have closed).
    pub fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    /// Idle connections closed to make room so far.
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Resolves once no connection is open.
    pub async fn all_closed(&self) {
        loop {
            let notified = self.none_open.notified();
            if self.open() == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// A connection's place in the table; dropping it frees the place.
pub struct Admitted {
    id: u64,
    activity: Arc<Activity>,
    connections: Arc<Connections>,
}

impl Admitted {
    /// The connection's activity.
    pub fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let c = &self.connections;
        c.lock().remove(self.id);
        if c.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            c.none_open.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    fn table(total: usize, per_peer: usize) -> Arc<Connections> {
        Connections::new(ConnectionLimits {
            total,
            per_peer,
            idle: Duration::from_secs(5),
        })
    }

    #[test]
    fn idle_connections_make_room_busy_ones_do_not() {
        let c = table(2, 2);
        let a = c.admit(ip(1)).unwrap();
        std::thread::sleep(Duration::from_millis(2));
        let b = c.admit(ip(2)).unwrap();
        // Both idle: the older one (a) is asked to close.
        let third = c.admit(ip(3)).unwrap();
        assert!(a.activity().evicted.load(Ordering::Acquire));
        assert!(!b.activity().evicted.load(Ordering::Acquire));
        let _busy_b = b.activity().request();
        let _busy_third = third.activity().request();
        assert_eq!(c.admit(ip(4)).err(), Some(Refusal::Total));
        drop(a);
        assert_eq!(c.open(), 2);
        assert_eq!(c.evictions(), 1);
    }

    #[test]
    fn a_peer_at_its_cap_gives_up_its_own_idle_connection() {
        let c = table(10, 2);
        let a1 = c.admit(ip(1)).unwrap();
        let a2 = c.admit(ip(1)).unwrap();
        let b = c.admit(ip(2)).unwrap();
        let _busy = a2.activity().request();
        let a3 = c.admit(ip(1)).unwrap();
        assert!(a1.activity().evicted.load(Ordering::Acquire));
        assert!(
            !b.activity().evicted.load(Ordering::Acquire),
            "another peer's is kept"
        );
        let _busy3 = a3.activity().request();
        assert_eq!(c.admit(ip(1)).err(), Some(Refusal::PerPeer));
        assert!(c.admit(ip(3)).is_ok(), "other peers are still served");
    }

    #[test]
    fn idle_time_counts_from_the_last_request() {
        let c = table(4, 4);
        let a = c.admit(ip(1)).unwrap();
        let busy = a.activity().request();
        assert_eq!(a.activity().idle_for(), Duration::ZERO);
        std::thread::sleep(Duration::from_millis(5));
        drop(busy);
        assert!(a.activity().idle_for() < Duration::from_millis(5));
    }
}
