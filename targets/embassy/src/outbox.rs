//! The outbox: published messages kept in flash until the broker acknowledged them.
//!
//! A ring of [`OUTBOX_SLOTS`] slots in a sequential-storage map keyed like
//! the KV map ([`KvKey`]: the firmware carries one instance of the map's
//! code). Every key starts with the format's mark, `2`: key `2` holds the
//! cursor, the number of the oldest message not yet acknowledged, and
//! message number `seq` lives at key `2` + the ASCII character
//! `'0' + seq % OUTBOX_SLOTS` (`20` to `2O` for 32 slots).
//! Writing a slot supersedes the message that was there, which was
//! acknowledged long ago (a full ring refuses new messages), and
//! acknowledging only appends a new cursor: no flash word is ever written
//! twice, so this works on ECC flash (STM32H7) where sequential-storage's
//! queue cannot pop.
//!
//! Delivery is at least once: a reset between the broker's PUBACK and the
//! cursor write sends that message again.
//!
//! Format 1 (earlier firmware) keyed the map with `u16`s. An area holding
//! anything but format 2 ([`OutboxError::OtherFormat`]) is erased when the
//! outbox opens: its messages are lost, with an error in the log, and the
//! device starts with an empty outbox instead of failing its boot.

use core::fmt;

use embedded_storage::nor_flash::NorFlash;
use jinn_core::Qos;
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{MapConfig, MapStorage, SerializationError, Value};
use serde::{Deserialize, Serialize};

use crate::config::{OUTBOX_SLOTS, PAYLOAD_BYTES, TOPIC_BYTES};
use crate::flash::{Region, RegionError, complete};
use crate::kv::KvKey;

/// The outbox could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum OutboxError {
    /// All slots hold messages not yet acknowledged, or the flash area is full.
    Full,
    /// The topic or payload is over the device's caps.
    TooLarge,
    /// The flash failed.
    Flash(RegionError),
    /// sequential-storage found the area corrupted and could not repair it.
    Corrupted,
    /// The area holds records of another format (an earlier firmware's).
    OtherFormat,
}

impl fmt::Display for OutboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full => f.write_str("outbox full"),
            Self::TooLarge => f.write_str("message over the outbox caps"),
            Self::Flash(e) => write!(f, "outbox flash: {e}"),
            Self::Corrupted => f.write_str("outbox corrupted"),
            Self::OtherFormat => f.write_str("outbox written in another format"),
        }
    }
}

impl core::error::Error for OutboxError {}

fn storage_error(e: sequential_storage::Error<RegionError>) -> OutboxError {
    match e {
        sequential_storage::Error::Storage { value, .. } => OutboxError::Flash(value),
        sequential_storage::Error::FullStorage => OutboxError::Full,
        sequential_storage::Error::ItemTooBig => OutboxError::TooLarge,
        sequential_storage::Error::SerializationError(_) => OutboxError::OtherFormat,
        _ => OutboxError::Corrupted,
    }
}

/// What the map stores (postcard).
#[derive(Debug, Serialize, Deserialize)]
enum Item<'a> {
    /// Number of the oldest message not yet acknowledged.
    Cursor(u32),
    /// One message. An MQTT 5 reply carries its properties
    /// (postcard-encoded [`ReplyProperties`](crate::mqtt::ReplyProperties)),
    /// which share the payload's room; other messages have none.
    Message {
        seq: u32,
        qos: u8,
        topic: &'a str,
        properties: &'a [u8],
        payload: &'a [u8],
    },
}

impl<'a> Value<'a> for Item<'a> {
    fn serialize_into(&self, buffer: &mut [u8]) -> Result<usize, SerializationError> {
        postcard::to_slice(self, buffer)
            .map(|b| b.len())
            .map_err(|_| SerializationError::BufferTooSmall)
    }

    fn deserialize_from(buffer: &'a [u8]) -> Result<(Self, usize), SerializationError> {
        postcard::from_bytes(buffer)
            .map(|item| (item, buffer.len()))
            .map_err(|_| SerializationError::InvalidFormat)
    }
}

/// The mark every key of this format starts with.
const FORMAT: u8 = b'2';

const _: () = assert!(OUTBOX_SLOTS <= 64, "a slot's key is one ASCII character");

fn cursor_key() -> KvKey {
    key(&[FORMAT])
}

fn slot_key(seq: u32) -> KvKey {
    key(&[FORMAT, b'0' + (seq % OUTBOX_SLOTS as u32) as u8])
}

/// `ascii` (one or two ASCII bytes, so always a key) as a key.
fn key(ascii: &[u8]) -> KvKey {
    let text = core::str::from_utf8(ascii).unwrap_or_default();
    KvKey(heapless::String::try_from(text).unwrap_or_default())
}

/// A key (3 bytes), the item's fields and lengths (at most 13), the topic
/// and the properties with the payload, rounded up for 32-byte words.
const BUFFER_BYTES: usize = (3 + 16 + TOPIC_BYTES + PAYLOAD_BYTES).div_ceil(32) * 32;

#[repr(C, align(4))]
struct Buffer([u8; BUFFER_BYTES]);

/// The oldest message not yet acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending<'a> {
    /// Its number.
    pub seq: u32,
    /// The QoS the guest asked for.
    pub qos: Qos,
    /// Its topic.
    pub topic: &'a str,
    /// Its payload.
    pub payload: &'a [u8],
    /// A reply's MQTT 5 properties, encoded (empty for other messages).
    pub properties: &'a [u8],
}

/// The flash outbox.
pub struct Outbox<'a, F: NorFlash> {
    map: MapStorage<KvKey, Region<'a, F>, Cache<Uncached, Uncached, Uncached, KvKey>>,
    buffer: Buffer,
    /// Number the next message gets.
    head: u32,
    /// Oldest message not yet acknowledged.
    tail: u32,
}

impl<'a, F: NorFlash> Outbox<'a, F> {
    /// Opens the outbox over `region` (at least 2 erase pages) and finds
    /// the messages still to send. An area of another format is erased
    /// (logged; its messages are lost) and the outbox starts empty.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the flash fails or the area is corrupted.
    pub fn open(region: Region<'a, F>) -> Result<Self, OutboxError> {
        let mut outbox = Self::over(region);
        match outbox.scan() {
            Err(OutboxError::OtherFormat) => {
                error!("outbox: {}: erased", OutboxError::OtherFormat);
                complete(outbox.map.erase_all()).map_err(storage_error)?;
            }
            found => {
                let (cursor, newest) = found?;
                outbox.tail = cursor;
                outbox.head = newest.map_or(cursor, |n| (n + 1).max(cursor));
            }
        }
        Ok(outbox)
    }

    /// An empty outbox over `region`, before its messages are found.
    fn over(region: Region<'a, F>) -> Self {
        let len = region.len();
        Self {
            map: MapStorage::new(region, MapConfig::new(0..len), Cache::new_uncached()),
            buffer: Buffer([0; BUFFER_BYTES]),
            head: 0,
            tail: 0,
        }
    }

    /// The newest cursor and the newest message's number, if any.
    ///
    /// # Errors
    ///
    /// [`OutboxError::OtherFormat`] for a key or item this format does not
    /// write, or a flash error.
    fn scan(&mut self) -> Result<(u32, Option<u32>), OutboxError> {
        let (mut cursor, mut newest) = (0u32, None::<u32>);
        complete(async {
            let mut items = self
                .map
                .fetch_all_items(&mut self.buffer.0)
                .await
                .map_err(storage_error)?;
            while let Some((key, item)) = items
                .next::<Item<'_>>(&mut self.buffer.0)
                .await
                .map_err(storage_error)?
            {
                if key.0.as_bytes().first() != Some(&FORMAT) {
                    return Err(OutboxError::OtherFormat);
                }
                match item {
                    Item::Cursor(c) => cursor = cursor.max(c),
                    Item::Message { seq, .. } => {
                        newest = Some(newest.map_or(seq, |n| n.max(seq)));
                    }
                }
            }
            Ok((cursor, newest))
        })
    }

    /// Messages waiting for the broker.
    pub fn len(&self) -> u32 {
        self.head - self.tail
    }

    /// `true` when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.head == self.tail
    }

    /// Slots left.
    pub fn free(&self) -> u32 {
        OUTBOX_SLOTS as u32 - self.len()
    }

    /// Appends a message; returns its number.
    ///
    /// # Errors
    ///
    /// [`OutboxError::Full`], [`OutboxError::TooLarge`] or a flash error.
    pub fn push(&mut self, topic: &str, payload: &[u8], qos: Qos) -> Result<u32, OutboxError> {
        self.store(topic, &[], payload, qos)
    }

    /// Appends an MQTT 5 reply: a message with its encoded `properties`,
    /// which share the payload's room ([`PAYLOAD_BYTES`] together).
    ///
    /// # Errors
    ///
    /// As [`Outbox::push`].
    pub fn push_reply(
        &mut self,
        topic: &str,
        properties: &[u8],
        payload: &[u8],
        qos: Qos,
    ) -> Result<u32, OutboxError> {
        if properties.is_empty() {
            return Err(OutboxError::TooLarge);
        }
        self.store(topic, properties, payload, qos)
    }

    fn store(
        &mut self,
        topic: &str,
        properties: &[u8],
        payload: &[u8],
        qos: Qos,
    ) -> Result<u32, OutboxError> {
        if topic.len() > TOPIC_BYTES || properties.len() + payload.len() > PAYLOAD_BYTES {
            return Err(OutboxError::TooLarge);
        }
        if self.free() == 0 {
            return Err(OutboxError::Full);
        }
        let seq = self.head;
        let item = Item::Message {
            seq,
            qos: qos as u8,
            topic,
            properties,
            payload,
        };
        complete(
            self.map
                .store_item(&mut self.buffer.0, &slot_key(seq), &item),
        )
        .map_err(storage_error)?;
        self.head += 1;
        Ok(seq)
    }

    /// The oldest message not yet acknowledged. A slot that does not hold
    /// the expected message (lost to a flash error) is skipped.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the flash fails.
    pub fn peek(&mut self) -> Result<Option<Pending<'_>>, OutboxError> {
        while !self.is_empty() {
            let seq = self.tail;
            let found = complete(
                self.map
                    .fetch_item::<Item<'_>>(&mut self.buffer.0, &slot_key(seq)),
            )
            .map_err(storage_error)?;
            if matches!(found, Some(Item::Message { seq: s, .. }) if s == seq) {
                break;
            }
            error!("outbox: message {} is missing, skipped", seq);
            self.ack(seq)?;
        }
        if self.is_empty() {
            return Ok(None);
        }
        let seq = self.tail;
        let found = complete(
            self.map
                .fetch_item::<Item<'_>>(&mut self.buffer.0, &slot_key(seq)),
        )
        .map_err(storage_error)?;
        match found {
            Some(Item::Message {
                seq,
                qos,
                topic,
                properties,
                payload,
            }) => Ok(Some(Pending {
                seq,
                qos: Qos::from_i32(i32::from(qos)).unwrap_or(Qos::AtLeastOnce),
                topic,
                payload,
                properties,
            })),
            _ => Err(OutboxError::Corrupted),
        }
    }

    /// The broker has message `seq`: moves the cursor past it. Numbers other
    /// than the oldest are ignored (messages leave in order).
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the cursor cannot be written.
    pub fn ack(&mut self, seq: u32) -> Result<(), OutboxError> {
        if seq != self.tail || self.is_empty() {
            return Ok(());
        }
        let cursor = Item::Cursor(seq + 1);
        complete(
            self.map
                .store_item(&mut self.buffer.0, &cursor_key(), &cursor),
        )
        .map_err(storage_error)?;
        self.tail = seq + 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use core::cell::RefCell;

    use super::*;
    use crate::testing::RamFlash;

    fn open(flash: &RefCell<RamFlash>) -> Outbox<'_, RamFlash> {
        Outbox::open(Region::new(flash, 0, 16 * 1024)).unwrap()
    }

    #[test]
    fn messages_leave_in_order_and_survive_a_reset() {
        let flash = RefCell::new(RamFlash::new(16 * 1024));
        {
            let mut outbox = open(&flash);
            assert!(outbox.peek().unwrap().is_none());
            outbox.push("alerts/t1", b"one", Qos::AtLeastOnce).unwrap();
            outbox.push("alerts/t2", b"two", Qos::AtMostOnce).unwrap();
        }
        {
            // Each block opens the outbox afresh: what a reset sees.
            let mut outbox = open(&flash);
            assert_eq!(outbox.len(), 2);
            let first = outbox.peek().unwrap().unwrap();
            assert_eq!(
                (first.seq, first.topic, first.payload),
                (0, "alerts/t1", &b"one"[..])
            );
            assert_eq!(first.qos, Qos::AtLeastOnce);
            outbox.ack(0).unwrap();
        }
        {
            let mut outbox = open(&flash);
            let second = outbox.peek().unwrap().unwrap();
            assert_eq!(
                (second.seq, second.topic, second.qos),
                (1, "alerts/t2", Qos::AtMostOnce)
            );
            outbox.ack(1).unwrap();
            assert!(outbox.peek().unwrap().is_none());
        }
        assert!(open(&flash).is_empty());
    }

    #[test]
    fn replies_keep_their_properties_beside_the_payload() {
        let flash = RefCell::new(RamFlash::new(16 * 1024));
        {
            let mut outbox = open(&flash);
            outbox.push("alerts/t1", b"one", Qos::AtLeastOnce).unwrap();
            outbox
                .push_reply("replies/1", b"props", b"body", Qos::AtMostOnce)
                .unwrap();
            assert_eq!(
                outbox.push_reply("r", &[1; 600], &[2; PAYLOAD_BYTES - 599], Qos::AtMostOnce),
                Err(OutboxError::TooLarge),
                "properties and payload share the payload's room"
            );
        }
        let mut outbox = open(&flash);
        assert_eq!(outbox.len(), 2);
        let first = outbox.peek().unwrap().unwrap();
        assert_eq!((first.payload, first.properties), (&b"one"[..], &[][..]));
        outbox.ack(0).unwrap();
        let reply = outbox.peek().unwrap().unwrap();
        assert_eq!(
            (reply.seq, reply.topic, reply.qos),
            (1, "replies/1", Qos::AtMostOnce)
        );
        assert_eq!(
            (reply.payload, reply.properties),
            (&b"body"[..], &b"props"[..])
        );
    }

    #[test]
    fn a_full_ring_refuses_then_recovers() {
        let flash = RefCell::new(RamFlash::new(16 * 1024));
        {
            let mut outbox = open(&flash);
            for i in 0..OUTBOX_SLOTS {
                outbox.push("t", &[i as u8; 8], Qos::AtLeastOnce).unwrap();
            }
            assert_eq!(
                outbox.push("t", b"x", Qos::AtLeastOnce),
                Err(OutboxError::Full)
            );
            outbox.ack(0).unwrap();
            outbox.push("t", b"again", Qos::AtLeastOnce).unwrap();
            // Many laps around the ring reuse the flash pages.
            for lap in 0..20u32 {
                for _ in 0..OUTBOX_SLOTS {
                    let seq = outbox.peek().unwrap().unwrap().seq;
                    outbox.ack(seq).unwrap();
                    outbox
                        .push("t", &lap.to_le_bytes(), Qos::AtLeastOnce)
                        .unwrap();
                }
            }
        }
        let outbox = open(&flash);
        assert_eq!(outbox.len(), OUTBOX_SLOTS as u32);
    }

    #[test]
    fn keys_carry_the_format_mark() {
        assert_eq!(cursor_key().0.as_str(), "2");
        assert_eq!(slot_key(0).0.as_str(), "20");
        assert_eq!(slot_key(OUTBOX_SLOTS as u32 - 1).0.as_str(), "2O");
        assert_eq!(slot_key(OUTBOX_SLOTS as u32), slot_key(0));
    }

    /// Format 1's items, as the earlier firmware wrote them (`u16` keys).
    #[derive(Serialize)]
    enum FormatOne<'a> {
        Cursor(u32),
        Message {
            seq: u32,
            qos: u8,
            topic: &'a str,
            payload: &'a [u8],
        },
    }

    impl<'a> Value<'a> for FormatOne<'a> {
        fn serialize_into(&self, buffer: &mut [u8]) -> Result<usize, SerializationError> {
            postcard::to_slice(self, buffer)
                .map(|b| b.len())
                .map_err(|_| SerializationError::BufferTooSmall)
        }

        fn deserialize_from(_: &'a [u8]) -> Result<(Self, usize), SerializationError> {
            Err(SerializationError::InvalidFormat)
        }
    }

    /// Writes what format 1 left behind: messages 0 to 2 to send, 0 acknowledged.
    fn write_format_one(flash: &RefCell<RamFlash>) {
        let region = Region::new(flash, 0, 16 * 1024);
        let mut map: MapStorage<u16, _, _> =
            MapStorage::new(region, MapConfig::new(0..16 * 1024), Cache::new_uncached());
        let mut buffer = [0u8; BUFFER_BYTES];
        for seq in 0..3u32 {
            let item = FormatOne::Message {
                seq,
                qos: 1,
                topic: "alerts/t1",
                payload: b"old",
            };
            complete(map.store_item(&mut buffer, &(1 + seq as u16), &item)).unwrap();
        }
        complete(map.store_item(&mut buffer, &0u16, &FormatOne::Cursor(1))).unwrap();
    }

    #[test]
    fn an_outbox_of_the_earlier_format_is_refused_by_the_scan() {
        let flash = RefCell::new(RamFlash::new(16 * 1024));
        write_format_one(&flash);
        let mut outbox = Outbox::over(Region::new(&flash, 0, 16 * 1024));
        assert_eq!(outbox.scan(), Err(OutboxError::OtherFormat));
    }

    #[test]
    fn an_outbox_of_the_earlier_format_is_erased_and_starts_empty() {
        let flash = RefCell::new(RamFlash::new(16 * 1024));
        write_format_one(&flash);
        {
            let mut outbox = open(&flash);
            assert!(outbox.is_empty(), "format 1's messages are dropped");
            assert!(outbox.peek().unwrap().is_none());
            assert_eq!(outbox.push("alerts/t2", b"new", Qos::AtLeastOnce), Ok(0));
        }
        assert!(
            flash.borrow().bytes.windows(3).all(|w| w != b"old"),
            "the earlier format's records are erased"
        );
        // Reopened: format 2 only, the new message is there.
        let mut outbox = open(&flash);
        assert_eq!(outbox.scan(), Ok((0, Some(0))));
        let first = outbox.peek().unwrap().unwrap();
        assert_eq!(
            (first.seq, first.topic, first.payload),
            (0, "alerts/t2", &b"new"[..])
        );
    }

    #[test]
    fn oversized_messages_are_refused() {
        let flash = RefCell::new(RamFlash::new(16 * 1024));
        let mut outbox = open(&flash);
        let topic = "t".repeat(TOPIC_BYTES + 1);
        assert_eq!(
            outbox.push(&topic, b"", Qos::AtMostOnce),
            Err(OutboxError::TooLarge)
        );
        assert_eq!(
            outbox.push("t", &[0; PAYLOAD_BYTES + 1], Qos::AtMostOnce),
            Err(OutboxError::TooLarge)
        );
    }
}
