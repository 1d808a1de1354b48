//! The MQTT session as a state machine without I/O, in the manner of
//! rumqttc's `MqttState`: the event loop ([`super::session`]) tells it what
//! happened ([`Incoming`]) and when ([`Millis`]), and asks it what to do
//! next ([`MqttState::poll`] → [`Action`]). It never touches a socket, a
//! clock or the flash, so every rule below has a host test.
//!
//! * **Subscriptions**: after CONNACK every topic filter is subscribed, one
//!   at a time; a SUBACK must come within [`ANSWER_TIMEOUT_MS`]; a refusal
//!   ends the connection.
//! * **Triggers**: received messages wait in a bounded queue and run one at
//!   a time, in arrival order ([`Action::Run`]); a QoS 1/2 message is
//!   acknowledged ([`Action::Ack`]) only when its calls have ended and what
//!   they published is committed ([`Incoming::CallsDone`]), so acks leave in
//!   the order the messages came (MQTT requires it). The broker sends at
//!   most [`RECEIVE_MAXIMUM`] unacknowledged messages; more is a protocol
//!   error. QoS 0 messages beyond the queue are dropped and counted.
//! * **Outbox**: the oldest message is sent when none is in flight
//!   ([`Action::Publish`]); it leaves the outbox when the broker
//!   acknowledged it ([`Action::Delivered`]). After a reconnection the new
//!   state sends it again (at least once).
//! * **Keep-alive**: a PINGREQ goes out when nothing was sent for half the
//!   keep-alive, whatever else is going on — a function that runs for
//!   minutes does not stop it; no PINGRESP within the keep-alive ends the
//!   connection (the broker is gone).

use heapless::Deque;
use jinn_core::Request;

use super::SessionError;
use crate::record::Topic;

/// Milliseconds on the event loop's monotonic clock.
pub(crate) type Millis = u64;

/// Incoming QoS 1/2 messages the broker may have unacknowledged at once
/// (sent in CONNECT as the receive maximum).
pub(crate) const RECEIVE_MAXIMUM: usize = 4;
/// Messages waiting for their functions (QoS 0 ones beyond this are dropped).
pub(crate) const QUEUE: usize = RECEIVE_MAXIMUM + 4;
/// How long the broker may take to answer a SUBSCRIBE.
pub(crate) const ANSWER_TIMEOUT_MS: Millis = 5_000;

/// A received message, owned (the packet buffer is reused).
#[derive(Debug)]
pub(crate) struct Trigger<P> {
    /// Its topic (the functions subscribed to it run).
    pub topic: Topic,
    /// The envelope the functions read.
    pub request: Request,
    /// Its packet identifier, when it must be acknowledged (QoS 1).
    pub ack: Option<P>,
}

/// What happened, as the event loop saw it. Short-lived values on the
/// stack: the large variant is not boxed, to keep triggers off the heap.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Incoming<P> {
    /// CONNACK: the connection is up.
    Connected,
    /// The SUBSCRIBE asked for by [`Action::Subscribe`] went out with `packet`.
    SubscribeSent {
        /// Its packet identifier.
        packet: P,
    },
    /// SUBACK.
    Suback {
        /// The SUBSCRIBE it answers.
        packet: P,
        /// The subscription was granted.
        granted: bool,
    },
    /// PUBLISH from the broker.
    Message(Trigger<P>),
    /// The calls of the trigger from [`Action::Run`] ended and their
    /// published messages are committed.
    CallsDone,
    /// The outbox got messages.
    OutboxReady,
    /// [`Action::Publish`] found the outbox empty.
    OutboxEmpty,
    /// [`Action::Publish`] sent outbox message `seq`; `packet` is `None` at
    /// QoS 0 (nothing to wait for).
    Published {
        /// The outbox message.
        seq: u32,
        /// The PUBLISH packet's identifier.
        packet: Option<P>,
    },
    /// PUBACK/PUBCOMP (`accepted`) or a refusal of a PUBLISH of ours.
    PublishAnswered {
        /// The PUBLISH it answers.
        packet: P,
        /// The broker took the message.
        accepted: bool,
    },
    /// PINGRESP.
    Pingresp,
}

/// What the event loop must do now (unboxed, as [`Incoming`]).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Action<P> {
    /// Send SUBSCRIBE for topic filter `index`, then report
    /// [`Incoming::SubscribeSent`].
    Subscribe(usize),
    /// Run the functions of this message, then report [`Incoming::CallsDone`].
    /// The event loop keeps reading and pinging meanwhile.
    Run(Trigger<P>),
    /// Send PUBACK for this packet identifier.
    Ack(P),
    /// Send the oldest outbox message, then report [`Incoming::Published`]
    /// or [`Incoming::OutboxEmpty`].
    Publish,
    /// The broker has outbox message `seq`: take it out of the outbox.
    /// `accepted` is false when the broker refused it (it is dropped).
    Delivered {
        /// The outbox message.
        seq: u32,
        /// The broker took it.
        accepted: bool,
    },
    /// Send PINGREQ.
    Ping,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Subscribing<P> {
    /// Filter `next` is the next to subscribe.
    Next(usize),
    /// Asked the event loop to send filter `index`.
    Asked(usize),
    /// Filter `index` was sent as `packet`; its SUBACK is due by `by`.
    Waiting { index: usize, packet: P, by: Millis },
    /// Every filter is subscribed.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Outbox<P> {
    /// It may hold messages: ask to send the oldest.
    MayHave,
    /// [`Action::Publish`] was asked for.
    Asked,
    /// Message `seq` waits for the broker's answer to `packet`.
    InFlight { seq: u32, packet: P },
    /// It was empty; wait for [`Incoming::OutboxReady`].
    Empty,
}

/// The state of one connection to the broker (a reconnection starts a new
/// one). `P` is the client's packet identifier type.
#[derive(Debug)]
pub(crate) struct MqttState<P> {
    keep_alive: Millis,
    filters: usize,
    connected: bool,
    subscribing: Subscribing<P>,
    queue: Deque<Trigger<P>, QUEUE>,
    /// A trigger's calls are running; its ack, if it needs one.
    running: Option<Option<P>>,
    /// Acks due, oldest first.
    acks: Deque<P, QUEUE>,
    outbox: Outbox<P>,
    /// Outbox messages the broker answered, to take out of the outbox.
    delivered: Option<(u32, bool)>,
    /// When the last packet went out.
    last_sent: Millis,
    /// When the PINGREQ waiting for its PINGRESP went out.
    ping_sent: Option<Millis>,
    /// QoS 0 messages dropped because the queue was full.
    pub dropped: u32,
}

impl<P: Copy + PartialEq + core::fmt::Debug> MqttState<P> {
    /// A connection at `now` (CONNECT sent) with `filters` topic filters to
    /// subscribe and a keep-alive of `keep_alive_secs`.
    pub(crate) fn new(filters: usize, keep_alive_secs: u16, now: Millis) -> Self {
        Self {
            keep_alive: Millis::from(keep_alive_secs.max(1)) * 1000,
            filters,
            connected: false,
            subscribing: Subscribing::Next(0),
            queue: Deque::new(),
            running: None,
            acks: Deque::new(),
            outbox: Outbox::MayHave,
            delivered: None,
            last_sent: now,
            ping_sent: None,
            dropped: 0,
        }
    }

    /// Connected and subscribed to every filter.
    pub(crate) fn is_up(&self) -> bool {
        self.connected && self.subscribing == Subscribing::Done
    }

    /// A trigger's functions are running.
    #[cfg(test)]
    pub(crate) fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// A packet went out at `now` (every action that sends one).
    pub(crate) fn sent(&mut self, now: Millis) {
        self.last_sent = now;
    }

    /// Takes in what happened.
    ///
    /// # Errors
    ///
    /// [`SessionError::SubscriptionRefused`] when a SUBACK refuses,
    /// [`SessionError::Protocol`] when the broker sends more unacknowledged
    /// messages than allowed or answers what was not asked.
    pub(crate) fn handle(
        &mut self,
        incoming: Incoming<P>,
        now: Millis,
    ) -> Result<(), SessionError> {
        match incoming {
            Incoming::Connected => self.connected = true,
            Incoming::SubscribeSent { packet } => {
                if let Subscribing::Asked(index) = self.subscribing {
                    self.subscribing = Subscribing::Waiting {
                        index,
                        packet,
                        by: now + ANSWER_TIMEOUT_MS,
                    };
                }
            }
            Incoming::Suback { packet, granted } => match self.subscribing {
                Subscribing::Waiting {
                    index, packet: p, ..
                } if p == packet => {
                    if !granted {
                        return Err(SessionError::SubscriptionRefused);
                    }
                    self.subscribing = if index + 1 < self.filters {
                        Subscribing::Next(index + 1)
                    } else {
                        Subscribing::Done
                    };
                }
                _ => return Err(SessionError::Protocol),
            },
            Incoming::Message(trigger) => {
                let needs_ack = trigger.ack.is_some();
                if let Err(trigger) = self.queue.push_back(trigger) {
                    if needs_ack {
                        return Err(SessionError::Protocol);
                    }
                    self.dropped = self.dropped.wrapping_add(1);
                    warn!(
                        "mqtt: functions busy, QoS 0 message on {} dropped",
                        trigger.topic.as_str()
                    );
                }
            }
            Incoming::CallsDone => {
                if let Some(Some(packet)) = self.running.take() {
                    // At most QUEUE acks can be due: one per trigger taken in.
                    let _ = self.acks.push_back(packet);
                }
            }
            Incoming::OutboxReady => {
                if self.outbox == Outbox::Empty {
                    self.outbox = Outbox::MayHave;
                }
            }
            Incoming::OutboxEmpty => self.outbox = Outbox::Empty,
            Incoming::Published { seq, packet } => match packet {
                Some(packet) => self.outbox = Outbox::InFlight { seq, packet },
                None => {
                    self.delivered = Some((seq, true));
                    self.outbox = Outbox::MayHave;
                }
            },
            Incoming::PublishAnswered { packet, accepted } => {
                if let Outbox::InFlight { seq, packet: p } = self.outbox
                    && p == packet
                {
                    self.delivered = Some((seq, accepted));
                    self.outbox = Outbox::MayHave;
                }
            }
            Incoming::Pingresp => self.ping_sent = None,
        }
        Ok(())
    }

    /// What to do now, if anything. Call it until it answers `None`, then
    /// wait for something to happen or for [`MqttState::next_deadline`].
    ///
    /// # Errors
    ///
    /// [`SessionError::Timeout`] when a PINGRESP or a SUBACK is overdue.
    pub(crate) fn poll(&mut self, now: Millis) -> Result<Option<Action<P>>, SessionError> {
        if self.ping_sent.is_some_and(|at| now >= at + self.keep_alive) {
            return Err(SessionError::Timeout);
        }
        if let Subscribing::Waiting { by, .. } = self.subscribing
            && now >= by
        {
            return Err(SessionError::Timeout);
        }
        if !self.connected {
            return Ok(None);
        }
        if let Some(packet) = self.acks.pop_front() {
            return Ok(Some(Action::Ack(packet)));
        }
        if let Some((seq, accepted)) = self.delivered.take() {
            return Ok(Some(Action::Delivered { seq, accepted }));
        }
        if let Subscribing::Next(index) = self.subscribing {
            if index < self.filters {
                self.subscribing = Subscribing::Asked(index);
                return Ok(Some(Action::Subscribe(index)));
            }
            self.subscribing = Subscribing::Done;
        }
        if self.running.is_none()
            && let Some(trigger) = self.queue.pop_front()
        {
            self.running = Some(trigger.ack);
            return Ok(Some(Action::Run(trigger)));
        }
        if self.outbox == Outbox::MayHave {
            self.outbox = Outbox::Asked;
            return Ok(Some(Action::Publish));
        }
        if self.ping_sent.is_none() && now >= self.ping_due() {
            self.ping_sent = Some(now);
            return Ok(Some(Action::Ping));
        }
        Ok(None)
    }

    /// When [`MqttState::poll`] may have something to do without anything
    /// happening first: the next ping, or the deadline of an answer.
    pub(crate) fn next_deadline(&self) -> Millis {
        let mut at = match self.ping_sent {
            Some(sent) => sent + self.keep_alive,
            None => self.ping_due(),
        };
        if let Subscribing::Waiting { by, .. } = self.subscribing {
            at = at.min(by);
        }
        at
    }

    fn ping_due(&self) -> Millis {
        self.last_sent + self.keep_alive / 2
    }
}

/// The wait before reconnecting: 1 s after a failure, doubling up to 5 s,
/// back to 1 s once a connection came up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    next_ms: Millis,
}

impl Backoff {
    const FIRST_MS: Millis = 1_000;
    const MAX_MS: Millis = 5_000;

    pub(crate) const fn new() -> Self {
        Self {
            next_ms: Self::FIRST_MS,
        }
    }

    /// A connection came up.
    pub(crate) fn reset(&mut self) {
        self.next_ms = Self::FIRST_MS;
    }

    /// The wait before the next attempt.
    pub(crate) fn next(&mut self) -> Millis {
        let wait = self.next_ms;
        self.next_ms = (wait * 2).min(Self::MAX_MS);
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEEP_ALIVE: u16 = 10;

    fn trigger(topic: &str, ack: Option<u16>) -> Trigger<u16> {
        Trigger {
            topic: Topic::try_from(topic).unwrap(),
            request: Request::default(),
            ack,
        }
    }

    /// Everything `poll` asks for at `now`, with the loop's usual answers
    /// to subscribes (`packet` 100 + index) and publishes (`outbox`: the
    /// messages it holds, sent as packet 200 + seq at QoS 1).
    fn drain(state: &mut MqttState<u16>, now: Millis, outbox: &mut Vec<u32>) -> Vec<String> {
        let mut done = Vec::new();
        while let Some(action) = state.poll(now).unwrap() {
            done.push(match &action {
                Action::Subscribe(i) => format!("subscribe {i}"),
                Action::Run(t) => format!("run {}", t.topic.as_str()),
                Action::Ack(p) => format!("ack {p}"),
                Action::Publish => "publish".into(),
                Action::Delivered { seq, accepted } => format!("delivered {seq} {accepted}"),
                Action::Ping => "ping".into(),
            });
            match action {
                Action::Subscribe(i) => {
                    state.sent(now);
                    let packet = 100 + i as u16;
                    state
                        .handle(Incoming::SubscribeSent { packet }, now)
                        .unwrap();
                }
                Action::Publish => {
                    let answer = match outbox.first() {
                        Some(&seq) => {
                            state.sent(now);
                            Incoming::Published {
                                seq,
                                packet: Some(200 + seq as u16),
                            }
                        }
                        None => Incoming::OutboxEmpty,
                    };
                    state.handle(answer, now).unwrap();
                }
                Action::Delivered { seq, .. } => outbox.retain(|&s| s != seq),
                Action::Ack(_) | Action::Ping => state.sent(now),
                Action::Run(_) => {}
            }
        }
        done
    }

    fn up(filters: usize) -> MqttState<u16> {
        let mut state = MqttState::<u16>::new(filters, KEEP_ALIVE, 0);
        state.handle(Incoming::Connected, 0).unwrap();
        // The outbox is empty: the first drain finds it so.
        let mut done = drain(&mut state, 0, &mut Vec::new());
        for i in 0..filters {
            assert_eq!(done.first(), Some(&format!("subscribe {i}")), "{done:?}");
            let packet = 100 + i as u16;
            state
                .handle(
                    Incoming::Suback {
                        packet,
                        granted: true,
                    },
                    0,
                )
                .unwrap();
            done = drain(&mut state, 0, &mut Vec::new());
        }
        assert!(done.iter().all(|d| d == "publish"), "{done:?}");
        assert!(state.is_up());
        state
    }

    #[test]
    fn nothing_happens_before_connack() {
        let mut state = MqttState::<u16>::new(2, KEEP_ALIVE, 0);
        assert!(state.poll(0).unwrap().is_none());
        assert!(state.poll(60_000).unwrap().is_none(), "no ping either");
    }

    #[test]
    fn filters_are_subscribed_one_at_a_time() {
        let mut state = MqttState::<u16>::new(2, KEEP_ALIVE, 0);
        state.handle(Incoming::Connected, 0).unwrap();
        let mut outbox = Vec::new();
        assert_eq!(
            drain(&mut state, 0, &mut outbox),
            ["subscribe 0", "publish"]
        );
        assert!(
            drain(&mut state, 1, &mut outbox).is_empty(),
            "waits for SUBACK"
        );
        state
            .handle(
                Incoming::Suback {
                    packet: 100,
                    granted: true,
                },
                2,
            )
            .unwrap();
        assert_eq!(drain(&mut state, 2, &mut outbox), ["subscribe 1"]);
        state
            .handle(
                Incoming::Suback {
                    packet: 101,
                    granted: true,
                },
                3,
            )
            .unwrap();
        assert!(drain(&mut state, 3, &mut outbox).is_empty());
        assert!(state.is_up());
    }

    #[test]
    fn a_refused_or_overdue_subscription_ends_the_connection() {
        let mut state = MqttState::<u16>::new(1, KEEP_ALIVE, 0);
        state.handle(Incoming::Connected, 0).unwrap();
        drain(&mut state, 0, &mut Vec::new());
        assert_eq!(
            state.handle(
                Incoming::Suback {
                    packet: 100,
                    granted: false
                },
                1
            ),
            Err(SessionError::SubscriptionRefused)
        );
        let mut state = MqttState::<u16>::new(1, KEEP_ALIVE, 0);
        state.handle(Incoming::Connected, 0).unwrap();
        drain(&mut state, 0, &mut Vec::new());
        assert!(state.poll(ANSWER_TIMEOUT_MS - 1).is_ok());
        assert_eq!(
            state.poll(ANSWER_TIMEOUT_MS).unwrap_err(),
            SessionError::Timeout
        );
    }

    #[test]
    fn a_message_is_acknowledged_only_after_its_calls_and_in_order() {
        let mut state = up(1);
        let mut outbox = Vec::new();
        state
            .handle(Incoming::Message(trigger("s/1", Some(7))), 1)
            .unwrap();
        state
            .handle(Incoming::Message(trigger("s/2", Some(8))), 1)
            .unwrap();
        state
            .handle(Incoming::Message(trigger("s/3", None)), 1)
            .unwrap();
        assert_eq!(drain(&mut state, 1, &mut outbox), ["run s/1"]);
        assert!(state.is_running());
        // Calls take long: nothing is acknowledged, nothing else runs.
        assert!(drain(&mut state, 2, &mut outbox).is_empty());
        state.handle(Incoming::CallsDone, 3).unwrap();
        assert_eq!(drain(&mut state, 3, &mut outbox), ["ack 7", "run s/2"]);
        state.handle(Incoming::CallsDone, 4).unwrap();
        assert_eq!(drain(&mut state, 4, &mut outbox), ["ack 8", "run s/3"]);
        state.handle(Incoming::CallsDone, 5).unwrap();
        assert!(
            drain(&mut state, 5, &mut outbox).is_empty(),
            "QoS 0: no ack"
        );
        assert!(!state.is_running());
    }

    #[test]
    fn qos0_beyond_the_queue_is_dropped_qos1_beyond_it_is_a_protocol_error() {
        let mut state = up(1);
        for i in 0..QUEUE {
            state
                .handle(Incoming::Message(trigger("q", None)), i as Millis)
                .unwrap();
        }
        state
            .handle(Incoming::Message(trigger("q", None)), 9)
            .unwrap();
        assert_eq!(state.dropped, 1);
        assert_eq!(
            state.handle(Incoming::Message(trigger("q", Some(1))), 9),
            Err(SessionError::Protocol)
        );
    }

    #[test]
    fn the_outbox_drains_one_message_at_a_time_on_broker_acks() {
        let mut state = up(0);
        let mut outbox = vec![0, 1];
        state.handle(Incoming::OutboxReady, 1).unwrap();
        // Empty before: `up` saw it empty; now it may have messages.
        assert_eq!(drain(&mut state, 1, &mut outbox), ["publish"]);
        assert!(
            drain(&mut state, 2, &mut outbox).is_empty(),
            "one in flight"
        );
        state
            .handle(
                Incoming::PublishAnswered {
                    packet: 999,
                    accepted: true,
                },
                3,
            )
            .unwrap();
        assert!(drain(&mut state, 3, &mut outbox).is_empty(), "not ours");
        state
            .handle(
                Incoming::PublishAnswered {
                    packet: 200,
                    accepted: true,
                },
                4,
            )
            .unwrap();
        assert_eq!(
            drain(&mut state, 4, &mut outbox),
            ["delivered 0 true", "publish"]
        );
        state
            .handle(
                Incoming::PublishAnswered {
                    packet: 201,
                    accepted: false,
                },
                5,
            )
            .unwrap();
        assert_eq!(
            drain(&mut state, 5, &mut outbox),
            ["delivered 1 false", "publish"]
        );
        assert!(outbox.is_empty());
        state.handle(Incoming::OutboxReady, 6).unwrap();
        outbox.push(2);
        assert_eq!(drain(&mut state, 6, &mut outbox), ["publish"]);
    }

    #[test]
    fn qos0_outbox_messages_leave_at_once() {
        let mut state = up(0);
        state.handle(Incoming::OutboxReady, 1).unwrap();
        assert!(matches!(state.poll(1).unwrap(), Some(Action::Publish)));
        state
            .handle(
                Incoming::Published {
                    seq: 5,
                    packet: None,
                },
                1,
            )
            .unwrap();
        assert!(matches!(
            state.poll(1).unwrap(),
            Some(Action::Delivered {
                seq: 5,
                accepted: true
            })
        ));
    }

    #[test]
    fn a_reconnection_sends_the_unacknowledged_outbox_message_again() {
        let mut state = up(0);
        let mut outbox = vec![3];
        state.handle(Incoming::OutboxReady, 1).unwrap();
        assert_eq!(drain(&mut state, 1, &mut outbox), ["publish"]);
        // The connection drops before the PUBACK: a new state, same outbox.
        let mut state = MqttState::<u16>::new(0, KEEP_ALIVE, 10);
        state.handle(Incoming::Connected, 10).unwrap();
        assert_eq!(drain(&mut state, 10, &mut outbox), ["publish"]);
        state
            .handle(
                Incoming::PublishAnswered {
                    packet: 203,
                    accepted: true,
                },
                11,
            )
            .unwrap();
        assert_eq!(
            drain(&mut state, 11, &mut outbox),
            ["delivered 3 true", "publish"]
        );
        assert!(outbox.is_empty());
    }

    #[test]
    fn pings_go_out_while_functions_run_and_a_dead_broker_is_noticed() {
        let mut state = up(0);
        let mut outbox = Vec::new();
        state
            .handle(Incoming::Message(trigger("slow", Some(1))), 0)
            .unwrap();
        assert_eq!(drain(&mut state, 0, &mut outbox), ["run slow"]);
        let half = Millis::from(KEEP_ALIVE) * 500;
        assert_eq!(state.next_deadline(), half);
        // The function runs for 3 keep-alives; the broker answers each ping.
        let mut pings = 0;
        let mut now = 0;
        while now < 3 * 2 * half {
            now = state.next_deadline();
            let done = drain(&mut state, now, &mut outbox);
            assert_eq!(done, ["ping"], "at {now} ms");
            pings += 1;
            state.handle(Incoming::Pingresp, now + 5).unwrap();
        }
        assert_eq!(pings, 6);
        assert!(state.is_running());
        state.handle(Incoming::CallsDone, now).unwrap();
        assert_eq!(drain(&mut state, now, &mut outbox), ["ack 1"]);

        // Other traffic postpones the ping.
        state.sent(now + half - 1);
        assert!(drain(&mut state, now + half, &mut outbox).is_empty());
        // No PINGRESP within the keep-alive: the broker is gone.
        let at = state.next_deadline();
        assert_eq!(drain(&mut state, at, &mut outbox), ["ping"]);
        assert_eq!(state.next_deadline(), at + 2 * half);
        assert!(state.poll(at + 2 * half - 1).is_ok());
        assert_eq!(
            state.poll(at + 2 * half).unwrap_err(),
            SessionError::Timeout
        );
    }

    #[test]
    fn backoff_doubles_to_five_seconds_and_resets() {
        let mut backoff = Backoff::new();
        let waits: Vec<Millis> = (0..5).map(|_| backoff.next()).collect();
        assert_eq!(waits, [1_000, 2_000, 4_000, 5_000, 5_000]);
        backoff.reset();
        assert_eq!(backoff.next(), 1_000);
    }
}
