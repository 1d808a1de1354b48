//! The send window of one connection: outbox messages waiting to be sent,
//! handed to the client, and published but not yet acknowledged.
//!
//! The outbox is the source of truth. A message leaves the window only when
//! the broker acknowledged it (QoS 1 `PUBACK`) or, for QoS 0, when the client
//! wrote it out; then it may be deleted from the outbox. When the connection
//! drops, every message handed over or in flight goes back to the front of
//! the queue, in outbox order, and is sent again on the next connection:
//! nothing waits for an acknowledgement that a dead connection will never
//! bring, and order is kept (a message may arrive twice: at least once).
//!
//! Packet identifiers are told by the client as it writes each publish
//! (`Outgoing::Publish(pkid)`), in the order the publishes were handed to
//! it, so the n-th such event belongs to the n-th message handed over.

use std::collections::{HashMap, VecDeque};

use crate::outbox::Entry;

/// The window of one connection.
#[derive(Debug)]
pub struct Window {
    /// Not sent yet, in outbox order.
    queue: VecDeque<Entry>,
    /// Handed to the client, not yet written out (no packet id yet), in order.
    handed: VecDeque<Entry>,
    /// Written out with QoS 1, waiting for `PUBACK`, by packet id.
    inflight: HashMap<u16, Entry>,
    /// Handed plus in flight at most.
    max: usize,
}

impl Window {
    /// An empty window of `max` messages in flight.
    pub fn new(max: usize) -> Self {
        Self {
            queue: VecDeque::new(),
            handed: VecDeque::new(),
            inflight: HashMap::new(),
            max: max.max(1),
        }
    }

    /// Queues a message read from the outbox (in outbox order).
    pub fn push(&mut self, entry: Entry) {
        self.queue.push_back(entry);
    }

    /// The next message to hand to the client, when the window has room;
    /// confirm with [`Window::handed`] or leave it queued.
    pub fn next(&self) -> Option<&Entry> {
        if self.handed.len() + self.inflight.len() >= self.max {
            return None;
        }
        self.queue.front()
    }

    /// The message [`Window::next`] gave is not to be sent (it was dropped
    /// from the outbox to make room): it leaves the window.
    pub fn skip(&mut self) {
        self.queue.pop_front();
    }

    /// The message [`Window::next`] gave was handed to the client.
    pub fn handed(&mut self) {
        if let Some(entry) = self.queue.pop_front() {
            self.handed.push_back(entry);
        }
    }

    /// The client wrote out the oldest handed message with `pkid` (0 for
    /// QoS 0): its sequence number when that message is done (QoS 0).
    pub fn written(&mut self, pkid: u16) -> Option<u64> {
        let entry = self.handed.pop_front()?;
        if entry.qos == 0 || pkid == 0 {
            return Some(entry.seq);
        }
        // A packet id still in flight cannot be reused by the client; if it
        // were, the older message goes back to be sent again.
        if let Some(old) = self.inflight.insert(pkid, entry) {
            self.requeue(vec![old]);
        }
        None
    }

    /// The broker acknowledged `pkid`: the sequence number of the message done.
    pub fn acknowledged(&mut self, pkid: u16) -> Option<u64> {
        self.inflight.remove(&pkid).map(|e| e.seq)
    }

    /// The connection dropped: everything handed over or in flight is sent
    /// again, before what was queued, in outbox order.
    pub fn disconnected(&mut self) {
        let mut back: Vec<Entry> = self.handed.drain(..).collect();
        back.extend(self.inflight.drain().map(|(_, e)| e));
        self.requeue(back);
    }

    fn requeue(&mut self, mut back: Vec<Entry>) {
        back.sort_by_key(|e| e.seq);
        for entry in back.into_iter().rev() {
            self.queue.push_front(entry);
        }
    }

    /// Messages queued, handed over and in flight.
    pub fn len(&self) -> usize {
        self.queue.len() + self.handed.len() + self.inflight.len()
    }

    /// True when nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Messages handed over or in flight.
    pub fn in_flight(&self) -> usize {
        self.handed.len() + self.inflight.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, qos: u8) -> Entry {
        Entry {
            seq,
            time_ns: 0,
            function: "f".into(),
            trace_id: String::new(),
            topic: "t".into(),
            qos,
            payload: Vec::new(),
            reply: None,
        }
    }

    /// Hands over every message the window allows; their sequence numbers.
    fn send_all(w: &mut Window) -> Vec<u64> {
        let mut sent = Vec::new();
        while let Some(e) = w.next() {
            sent.push(e.seq);
            w.handed();
        }
        sent
    }

    #[test]
    fn the_window_holds_at_most_max_and_frees_on_ack() {
        let mut w = Window::new(2);
        for seq in 0..4 {
            w.push(entry(seq, 1));
        }
        assert_eq!(send_all(&mut w), [0, 1]);
        assert_eq!(w.written(1), None);
        assert_eq!(w.written(2), None);
        assert_eq!(send_all(&mut w), Vec::<u64>::new(), "full");
        assert_eq!(w.acknowledged(2), Some(1));
        assert_eq!(send_all(&mut w), [2]);
        assert_eq!(w.acknowledged(9), None, "unknown packet id");
        assert_eq!(w.len(), 3);
    }

    #[test]
    fn qos0_is_done_once_written() {
        let mut w = Window::new(8);
        w.push(entry(0, 0));
        w.push(entry(1, 1));
        assert_eq!(send_all(&mut w), [0, 1]);
        assert_eq!(w.written(0), Some(0));
        assert_eq!(w.written(1), None);
        assert_eq!(w.acknowledged(1), Some(1));
        assert!(w.is_empty());
    }

    /// The stall of an earlier design: after a reconnect it waited for
    /// acknowledgements of the old connection. Here a disconnect puts every
    /// unacknowledged message back, in order, and the window is open again.
    #[test]
    fn a_reconnect_sends_everything_unacknowledged_again_in_order() {
        let mut w = Window::new(3);
        for seq in 10..16 {
            w.push(entry(seq, 1));
        }
        assert_eq!(send_all(&mut w), [10, 11, 12]);
        assert_eq!(w.written(1), None); // 10
        assert_eq!(w.written(2), None); // 11; 12 still handed
        assert_eq!(w.acknowledged(1), Some(10));
        w.disconnected();
        assert_eq!(w.in_flight(), 0);
        // Acks of the old connection no longer count.
        assert_eq!(w.acknowledged(2), None);
        assert_eq!(send_all(&mut w), [11, 12, 13]);
        assert_eq!(w.written(1), None);
        assert_eq!(w.written(2), None);
        assert_eq!(w.written(3), None);
        for pkid in 1..=3 {
            assert!(w.acknowledged(pkid).is_some());
        }
        assert_eq!(send_all(&mut w), [14, 15]);
    }

    #[test]
    fn a_reused_packet_id_sends_the_older_message_again() {
        let mut w = Window::new(4);
        w.push(entry(0, 1));
        w.push(entry(1, 1));
        assert_eq!(send_all(&mut w), [0, 1]);
        assert_eq!(w.written(1), None);
        assert_eq!(w.written(1), None);
        assert_eq!(w.acknowledged(1), Some(1));
        assert_eq!(send_all(&mut w), [0]);
    }
}
