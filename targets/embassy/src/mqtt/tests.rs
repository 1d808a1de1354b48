//! The session's event loop against a fake broker over an in-memory link,
//! with fake functions that take as long as a test wants: connect,
//! subscribe, trigger → call → PUBACK ordering, outbox drain on broker
//! acks, reconnection, and keep-alive while slow functions run.

use core::cell::{Cell, RefCell};
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::collections::VecDeque;
use std::string::String;
use std::sync::Arc;
use std::task::Wake;
use std::time::Instant as Clock;
use std::vec::Vec;

use embassy_futures::join::join;
use embassy_futures::select::{Either, select};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::pipe::Pipe;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Timer};
use embedded_io_async::ErrorKind;
use jinn_core::contract::envelope::MqttMessage;
use jinn_core::{Qos, Request};
use rust_mqtt::types::PacketIdentifier;

use super::SessionError;
use super::session::{Backend, Settings, serve};
use super::state::Trigger;
use crate::config::PAYLOAD_BYTES;
use crate::record::Topic;

/// Runs a future on this thread, parking it while nothing is ready.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park_timeout(std::time::Duration::from_millis(20));
    }
}

type Wire = Pipe<NoopRawMutex, 4096>;

/// A TCP connection in memory; the broker may close it.
struct Link {
    to_broker: Wire,
    to_device: Wire,
    closed: Cell<bool>,
    closing: Signal<NoopRawMutex, ()>,
}

impl Link {
    fn new() -> Self {
        Self {
            to_broker: Pipe::new(),
            to_device: Pipe::new(),
            closed: Cell::new(false),
            closing: Signal::new(),
        }
    }

    fn close(&self) {
        self.closed.set(true);
        self.closing.signal(());
    }
}

/// The device's end of a [`Link`], as rust-mqtt's transport.
struct DeviceEnd<'a>(&'a Link);

impl embedded_io_async::ErrorType for DeviceEnd<'_> {
    type Error = ErrorKind;
}

impl embedded_io_async::Read for DeviceEnd<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        if self.0.closed.get() {
            return Err(ErrorKind::ConnectionReset);
        }
        match select(self.0.to_device.read(buf), self.0.closing.wait()).await {
            Either::First(n) => Ok(n),
            Either::Second(()) => Err(ErrorKind::ConnectionReset),
        }
    }
}

impl embedded_io_async::Write for DeviceEnd<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        if self.0.closed.get() {
            return Err(ErrorKind::ConnectionReset);
        }
        Ok(self.0.to_broker.write(buf).await)
    }

    async fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

/// A packet from the device: its first byte and the rest after the length.
#[derive(Debug, Clone)]
struct Packet {
    kind: u8,
    body: Vec<u8>,
    at: Clock,
}

impl Packet {
    /// The packet identifier of a SUBSCRIBE or PUBACK.
    fn id(&self) -> u16 {
        u16::from_be_bytes([self.body[0], self.body[1]])
    }

    /// Topic and packet identifier of a QoS 1 PUBLISH.
    fn published(&self) -> (String, u16) {
        let len = usize::from(u16::from_be_bytes([self.body[0], self.body[1]]));
        let topic = String::from_utf8(self.body[2..2 + len].to_vec()).unwrap();
        let id = u16::from_be_bytes([self.body[2 + len], self.body[3 + len]]);
        (topic, id)
    }
}

const CONNECT: u8 = 0x10;
const PUBLISH_QOS1: u8 = 0x32;
const PUBACK: u8 = 0x40;
const SUBSCRIBE: u8 = 0x82;
const PINGREQ: u8 = 0xc0;

fn varint(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (n % 128) as u8;
        n /= 128;
        out.push(if n > 0 { byte | 0x80 } else { byte });
        if n == 0 {
            return;
        }
    }
}

fn packet(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    varint(body.len(), &mut out);
    out.extend_from_slice(body);
    out
}

fn string(s: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

/// A QoS 1 PUBLISH to the device, with MQTT 5 properties already encoded.
fn publish(topic: &str, id: u16, properties: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    string(topic.as_bytes(), &mut body);
    body.extend_from_slice(&id.to_be_bytes());
    varint(properties.len(), &mut body);
    body.extend_from_slice(properties);
    body.extend_from_slice(payload);
    packet(PUBLISH_QOS1, &body)
}

/// The broker's end of a [`Link`].
struct Broker<'a>(&'a Link);

impl Broker<'_> {
    async fn read_byte(&self) -> u8 {
        let mut byte = [0];
        self.0.to_broker.read(&mut byte).await;
        byte[0]
    }

    async fn read(&self) -> Packet {
        let kind = self.read_byte().await;
        let (mut len, mut shift) = (0usize, 0);
        loop {
            let b = self.read_byte().await;
            len |= usize::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        let mut body = vec![0; len];
        let mut at = 0;
        while at < len {
            at += self.0.to_broker.read(&mut body[at..]).await;
        }
        Packet {
            kind,
            body,
            at: Clock::now(),
        }
    }

    /// The next packet, which must be of `kind`.
    async fn expect(&self, kind: u8) -> Packet {
        let p = self.read().await;
        assert_eq!(p.kind, kind, "expected packet {kind:#x}, got {p:?}");
        p
    }

    /// The next packet, if one comes within `ms`.
    async fn read_within(&self, ms: u64) -> Option<Packet> {
        match select(self.read(), Timer::after(Duration::from_millis(ms))).await {
            Either::First(p) => Some(p),
            Either::Second(()) => None,
        }
    }

    async fn send(&self, bytes: &[u8]) {
        self.0.to_device.write_all(bytes).await;
    }

    /// CONNECT → CONNACK (no session present); returns CONNECT's body.
    async fn accept(&self) -> Packet {
        let connect = self.expect(CONNECT).await;
        self.send(&[0x20, 0x03, 0x00, 0x00, 0x00]).await;
        connect
    }

    /// SUBSCRIBE → SUBACK granting QoS 1; returns the filter.
    async fn subscribed(&self) -> String {
        let p = self.expect(SUBSCRIBE).await;
        let id = p.id();
        let props = usize::from(p.body[2]);
        let at = 3 + props;
        let len = usize::from(u16::from_be_bytes([p.body[at], p.body[at + 1]]));
        let filter = String::from_utf8(p.body[at + 2..at + 2 + len].to_vec()).unwrap();
        let [hi, lo] = id.to_be_bytes();
        self.send(&[0x90, 0x04, hi, lo, 0x00, 0x01]).await;
        filter
    }

    async fn puback(&self, id: u16) {
        let [hi, lo] = id.to_be_bytes();
        self.send(&[PUBACK, 0x02, hi, lo]).await;
    }

    async fn pingresp(&self) {
        self.send(&[0xd0, 0x00]).await;
    }
}

/// One run of a message's functions, as the fake device saw it.
#[derive(Debug)]
struct Run {
    request: Request,
    started: Clock,
    ended: Clock,
}

/// Functions that take `run_for`, and an outbox in RAM.
struct FakeDevice {
    filters: Vec<&'static str>,
    run_for: Duration,
    runs: RefCell<Vec<Run>>,
    outbox: RefCell<VecDeque<(u32, &'static str, &'static [u8])>>,
    delivered: RefCell<Vec<u32>>,
    ready: Signal<NoopRawMutex, ()>,
    up: Cell<bool>,
}

impl FakeDevice {
    fn new(filters: &[&'static str], run_for_ms: u64) -> Self {
        Self {
            filters: filters.to_vec(),
            run_for: Duration::from_millis(run_for_ms),
            runs: RefCell::new(Vec::new()),
            outbox: RefCell::new(VecDeque::new()),
            delivered: RefCell::new(Vec::new()),
            ready: Signal::new(),
            up: Cell::new(false),
        }
    }

    fn stage(&self, seq: u32, topic: &'static str, payload: &'static [u8]) {
        self.outbox.borrow_mut().push_back((seq, topic, payload));
        self.ready.signal(());
    }
}

impl Backend for FakeDevice {
    fn filters(&self) -> impl Iterator<Item = &str> {
        self.filters.iter().copied()
    }

    async fn run(&self, trigger: &Trigger<PacketIdentifier>) {
        let started = Clock::now();
        Timer::after(self.run_for).await;
        self.runs.borrow_mut().push(Run {
            request: trigger.request.clone(),
            started,
            ended: Clock::now(),
        });
    }

    fn outbox_next(
        &self,
        topic: &mut Topic,
        payload: &mut heapless::Vec<u8, PAYLOAD_BYTES>,
    ) -> Result<Option<(u32, Qos, usize)>, SessionError> {
        let outbox = self.outbox.borrow();
        let Some(&(seq, t, p)) = outbox.front() else {
            return Ok(None);
        };
        *topic = Topic::try_from(t).unwrap();
        *payload = heapless::Vec::from_slice(p).unwrap();
        Ok(Some((seq, Qos::AtLeastOnce, 0)))
    }

    fn outbox_delivered(&self, seq: u32) -> Result<(), SessionError> {
        let mut outbox = self.outbox.borrow_mut();
        assert_eq!(outbox.front().map(|m| m.0), Some(seq), "in order");
        outbox.pop_front();
        self.delivered.borrow_mut().push(seq);
        Ok(())
    }

    async fn outbox_ready(&self) {
        self.ready.wait().await;
    }

    fn random(&self, buf: &mut [u8]) {
        buf.fill(7);
    }

    fn set_up(&self, up: bool) {
        self.up.set(up);
    }
}

/// Serves `device` over `link` until the link fails.
async fn session(
    device: &FakeDevice,
    link: &Link,
    keep_alive: u16,
) -> Result<(), (bool, SessionError)> {
    let mut packet = [0u8; 2048];
    let mut topic = Topic::new();
    let mut payload = heapless::Vec::new();
    let settings = Settings {
        client_id: "dev-1",
        keep_alive,
    };
    serve(
        device,
        DeviceEnd(link),
        settings,
        &mut packet,
        &mut topic,
        &mut payload,
    )
    .await
}

#[test]
fn connects_subscribes_and_acknowledges_a_message_after_its_functions() {
    let device = FakeDevice::new(&["sensors/+", "cmd/#"], 300);
    let link = Link::new();
    let broker = Broker(&link);
    let site = [
        0x26, 0x00, 0x04, b's', b'i', b't', b'e', 0x00, 0x05, b'n', b'o', b'r', b't', b'h',
    ];
    let mut properties = vec![0x03];
    string(b"application/json", &mut properties);
    properties.extend_from_slice(&site);
    let (served, (connect, filters, puback)) = block_on(join(session(&device, &link, 30), async {
        let connect = broker.accept().await;
        let filters = [broker.subscribed().await, broker.subscribed().await];
        broker
            .send(&publish("sensors/t1", 5, &properties, br#"{"v":1}"#))
            .await;
        let puback = broker.expect(PUBACK).await;
        link.close();
        (connect, filters, puback)
    }));
    assert_eq!(
        served,
        Err((true, SessionError::Network)),
        "the link was closed"
    );

    // CONNECT: MQTT 5, clean start off (a persistent session), keep-alive 30 s.
    let body = &connect.body;
    assert_eq!(&body[..7], b"\x00\x04MQTT\x05");
    assert_eq!(body[7] & 0x02, 0, "clean start is off");
    assert_eq!(u16::from_be_bytes([body[8], body[9]]), 30);
    assert!(body.windows(5).any(|w| w == b"dev-1"), "client id");
    assert_eq!(filters, ["sensors/+", "cmd/#"]);
    assert!(device.up.get());

    let runs = device.runs.borrow();
    assert_eq!(runs.len(), 1);
    let request = &runs[0].request;
    assert_eq!(
        (request.method.as_str(), request.uri.as_str()),
        ("MQTT", "sensors/t1")
    );
    assert_eq!(request.body, br#"{"v":1}"#);
    assert_eq!(request.headers["Content-Type"], ["application/json"]);
    assert_eq!(request.headers["X-Mqtt-User-site"], ["north"]);
    assert_eq!(request.headers["X-Mqtt-Qos"], ["1"]);
    let props = [("site", "north")];
    let expected = MqttMessage {
        content_type: Some("application/json"),
        user_properties: &props,
        ..MqttMessage::new("sensors/t1", br#"{"v":1}"#, Qos::AtLeastOnce, Some(5))
    };
    assert_eq!(
        request.headers["X-Mqtt-Message-Id"],
        [expected.message_id(|_| panic!("QoS 1 ids are not random"))]
    );
    assert_eq!(puback.id(), 5);
    assert!(
        puback.at >= runs[0].ended,
        "PUBACK only after the functions ended"
    );
}

#[test]
fn the_outbox_drains_in_order_on_broker_acks() {
    let device = FakeDevice::new(&[], 0);
    device.stage(0, "alerts/a", b"1");
    device.stage(1, "alerts/b", b"2");
    let link = Link::new();
    let broker = Broker(&link);
    let (_, sent) = block_on(join(session(&device, &link, 30), async {
        broker.accept().await;
        let first = broker.expect(PUBLISH_QOS1).await.published();
        assert!(
            broker.read_within(300).await.is_none(),
            "one message in flight until the broker acknowledges it"
        );
        broker.puback(first.1).await;
        let second = broker.expect(PUBLISH_QOS1).await.published();
        broker.puback(second.1).await;
        // A message committed later is sent when the device says so.
        Timer::after(Duration::from_millis(100)).await;
        device.stage(2, "alerts/c", b"3");
        let third = broker.expect(PUBLISH_QOS1).await.published();
        broker.puback(third.1).await;
        Timer::after(Duration::from_millis(100)).await;
        link.close();
        [first.0, second.0, third.0]
    }));
    assert_eq!(sent, ["alerts/a", "alerts/b", "alerts/c"]);
    assert_eq!(*device.delivered.borrow(), [0, 1, 2]);
    assert!(device.outbox.borrow().is_empty());
}

#[test]
fn a_new_connection_subscribes_again_and_resends_what_was_not_acknowledged() {
    let device = FakeDevice::new(&["s/+"], 0);
    device.stage(0, "a/x", b"1");
    for connection in 0..2 {
        let link = Link::new();
        let broker = Broker(&link);
        let (served, ()) = block_on(join(session(&device, &link, 30), async {
            broker.accept().await;
            assert_eq!(broker.subscribed().await, "s/+", "connection {connection}");
            let (topic, id) = broker.expect(PUBLISH_QOS1).await.published();
            assert_eq!(topic, "a/x", "connection {connection}");
            if connection == 1 {
                broker.puback(id).await;
                Timer::after(Duration::from_millis(100)).await;
            }
            // The first connection is gone before the PUBACK.
            link.close();
        }));
        assert_eq!(served, Err((true, SessionError::Network)));
        let delivered: &[u32] = if connection == 0 { &[] } else { &[0] };
        assert_eq!(*device.delivered.borrow(), delivered);
    }
}

#[test]
fn pings_continue_while_a_function_runs_longer_than_one_and_a_half_keep_alives() {
    // Keep-alive 1 s: a broker drops a client it hears nothing from for 1.5 s.
    let device = FakeDevice::new(&["slow"], 2_500);
    let link = Link::new();
    let broker = Broker(&link);
    let (_, packets) = block_on(join(session(&device, &link, 1), async {
        broker.accept().await;
        broker.subscribed().await;
        let mut packets = vec![Packet {
            kind: 0,
            body: Vec::new(),
            at: Clock::now(),
        }];
        broker.send(&publish("slow", 9, &[], b"go")).await;
        loop {
            let p = broker.read().await;
            let kind = p.kind;
            packets.push(p);
            match kind {
                PINGREQ => broker.pingresp().await,
                PUBACK => break,
                other => panic!("unexpected packet {other:#x}"),
            }
        }
        link.close();
        packets
    }));
    let runs = device.runs.borrow();
    let run = &runs[0];
    assert!(run.ended - run.started >= std::time::Duration::from_millis(2_500));
    let puback = packets.last().unwrap();
    assert_eq!(puback.id(), 9);
    assert!(puback.at >= run.ended);
    let pings = packets
        .iter()
        .filter(|p| p.kind == PINGREQ && p.at > run.started && p.at < run.ended)
        .count();
    assert!(
        pings >= 4,
        "{pings} pings during a 2.5 s call with a 1 s keep-alive"
    );
    let longest_silence = packets.windows(2).map(|w| w[1].at - w[0].at).max().unwrap();
    assert!(
        longest_silence < std::time::Duration::from_millis(1_500),
        "the broker heard nothing for {longest_silence:?}"
    );
}

#[test]
fn a_broker_that_stops_answering_pings_is_left() {
    let device = FakeDevice::new(&[], 0);
    let link = Link::new();
    let broker = Broker(&link);
    let started = Clock::now();
    let served = block_on(async {
        match select(session(&device, &link, 1), async {
            broker.accept().await;
            loop {
                // Reads everything, answers nothing.
                broker.read().await;
            }
        })
        .await
        {
            Either::First(served) => served,
            Either::Second(never) => never,
        }
    });
    assert_eq!(served, Err((true, SessionError::Timeout)));
    let took = started.elapsed();
    // A ping after 0.5 s, its answer due 1 s later.
    assert!(
        took >= std::time::Duration::from_millis(1_400) && took < std::time::Duration::from_secs(5),
        "{took:?}"
    );
}
