//! The outbox: messages published by functions, kept durably until the MQTT
//! bridge drains them, within quotas per function and in total.
//!
//! A successful call's staged messages (`Outcome::staged`) are appended in
//! the same redb transaction as its KV writes ([`crate::txn`]), before its
//! HTTP response is sent; a failed call appends nothing. Keys are
//! increasing sequence numbers; values are JSON:
//! `{"time_ns","function","trace_id","topic","qos","payload"}` with the
//! payload in standard base64.
//!
//! **Quotas** ([`OutboxLimits`], `[outbox]` in the configuration): the
//! outbox holds at most `max_messages` messages and `max_bytes` bytes in
//! total, and each function at most `function_messages` and
//! `function_bytes` of them (bytes are topic plus payload). A publish that
//! would go over its function's share or the total gets `-3` ("queue
//! full"); one function filling its share never takes another's, as long as
//! the total holds every function's share (the gateway warns at start when
//! it does not). Entries leave through [`Outbox::delete`], which gives their
//! share back.
//!
//! **When full** ([`WhenFull`], `outbox.when_full`): `refuse` (the default)
//! as above; `drop_oldest_qos0`: a publish that would go over its function's
//! share or the total first drops that function's oldest QoS 0 messages,
//! as many as it takes, in the commit's transaction (never another
//! function's, never a QoS 1 message: when those do not make room, `-3`).
//! Each drop is counted (`jinn_outbox_dropped_total`) and logged.
//!
//! Sequence numbers only grow, also after the outbox was emptied: the next
//! one is kept in table `outbox_next`, so a reader that has seen `seq`
//! finds every later message after it ([`Outbox::read_after`]). Each append
//! wakes [`Outbox::appended_signal`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::db::{Db, DbError};
use crate::kv::Kv;
use jinn_core::Message;

const TABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// `"next"`: the sequence number of the next message.
const NEXT: TableDefinition<&str, u64> = TableDefinition::new("outbox_next");

/// How much the outbox holds, in total and per function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxLimits {
    /// Messages in total (`outbox.max_messages`).
    pub max_messages: u64,
    /// Bytes of topics and payloads in total (`outbox.max_bytes`).
    pub max_bytes: u64,
    /// Messages of one function (`outbox.function_messages`).
    pub function_messages: u64,
    /// Bytes of one function (`outbox.function_bytes`).
    pub function_bytes: u64,
    /// What a publish into a full outbox does (`outbox.when_full`).
    pub when_full: WhenFull,
}

/// What a publish into a full outbox does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhenFull {
    /// The publish is refused (`-3`).
    #[default]
    Refuse,
    /// The function's oldest QoS 0 messages are dropped to make room.
    DropOldestQos0,
}

impl WhenFull {
    /// Its name in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refuse => "refuse",
            Self::DropOldestQos0 => "drop_oldest_qos0",
        }
    }
}

impl Default for OutboxLimits {
    fn default() -> Self {
        Self {
            max_messages: 10_000,
            max_bytes: 64 << 20,
            function_messages: 1_000,
            function_bytes: 8 << 20,
            when_full: WhenFull::Refuse,
        }
    }
}

/// Messages and bytes held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Share {
    /// Messages.
    pub messages: u64,
    /// Bytes of topics and payloads.
    pub bytes: u64,
}

impl Share {
    fn of(messages: &[Message]) -> Self {
        Self {
            messages: messages.len() as u64,
            bytes: messages
                .iter()
                .map(|m| (m.topic.len() + m.payload.len()) as u64)
                .sum(),
        }
    }

    fn qos0_of(messages: &[Message]) -> Self {
        let qos0: Vec<Message> = messages
            .iter()
            .filter(|m| m.qos == jinn_core::Qos::AtMostOnce)
            .cloned()
            .collect();
        Self::of(&qos0)
    }

    fn add(&mut self, other: Share) {
        self.messages += other.messages;
        self.bytes += other.bytes;
    }

    fn sub(&mut self, other: Share) {
        self.messages = self.messages.saturating_sub(other.messages);
        self.bytes = self.bytes.saturating_sub(other.bytes);
    }
}

/// What the outbox holds, in total and per function.
#[derive(Debug, Default)]
pub struct Usage {
    total: Share,
    by_function: HashMap<String, Share>,
    /// The QoS 0 part of `by_function`.
    qos0_by_function: HashMap<String, Share>,
}

impl Usage {
    /// What `function` holds.
    pub fn of(&self, function: &str) -> Share {
        self.by_function.get(function).copied().unwrap_or_default()
    }

    fn add(&mut self, function: &str, share: Share, qos0: Share) {
        self.total.add(share);
        self.by_function
            .entry(function.to_string())
            .or_default()
            .add(share);
        if qos0 != Share::default() {
            self.qos0_by_function
                .entry(function.to_string())
                .or_default()
                .add(qos0);
        }
    }

    fn sub(&mut self, function: &str, share: Share, qos0: Share) {
        self.total.sub(share);
        for (map, share) in [
            (&mut self.by_function, share),
            (&mut self.qos0_by_function, qos0),
        ] {
            if let Some(s) = map.get_mut(function) {
                s.sub(share);
                if *s == Share::default() {
                    map.remove(function);
                }
            }
        }
    }
}

/// The outbox, or a counter when the KV store is in memory.
pub struct Outbox {
    db: Option<Arc<Db>>,
    limits: OutboxLimits,
    usage: Mutex<Usage>,
    len: AtomicU64,
    appended: tokio::sync::Notify,
    /// Messages and bytes dropped to make room (`drop_oldest_qos0`).
    dropped: [AtomicU64; 2],
    /// Sequence numbers dropped that the bridge may have read already.
    dropped_seqs: Mutex<std::collections::BTreeSet<u64>>,
}

/// A stored message, as the MQTT bridge sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its sequence number (the order of the outbox).
    pub seq: u64,
    /// When it was committed, ns since the Unix epoch.
    pub time_ns: u64,
    /// The function that published it.
    pub function: String,
    /// The trace id of the call.
    pub trace_id: String,
    /// Topic.
    pub topic: String,
    /// QoS the guest asked for.
    pub qos: u8,
    /// Payload.
    pub payload: Vec<u8>,
    /// Set for an MQTT 5 response.
    pub reply: Option<ReplyTo>,
}

/// A stored record that does not decode (written by something else, or damaged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecodable {
    /// Its sequence number.
    pub seq: u64,
}

#[derive(Deserialize)]
struct Stored {
    #[serde(default)]
    time_ns: u64,
    function: String,
    #[serde(default)]
    trace_id: String,
    topic: String,
    qos: u8,
    payload: String,
    #[serde(default)]
    connection: Option<String>,
    #[serde(default)]
    correlation_data: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    user_properties: Vec<(String, String)>,
}

#[derive(Serialize)]
struct Record<'a> {
    time_ns: u64,
    function: &'a str,
    trace_id: &'a str,
    topic: &'a str,
    qos: u8,
    payload: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    reply: Option<&'a ReplyTo>,
}

/// How an MQTT 5 response is sent (see [`Outbox::append_reply`]): on the
/// connection the request came on, with its correlation data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyTo {
    /// The connection (not routed by topic).
    pub connection: String,
    /// Correlation data of the request, base64.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub correlation_data: Option<String>,
    /// MQTT 5 content type.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub content_type: Option<String>,
    /// MQTT 5 user properties (`status`, then the response's headers).
    #[serde(default)]
    pub user_properties: Vec<(String, String)>,
}

/// The fields of a stored record that its quota needs.
#[derive(Deserialize)]
struct Accounted {
    function: String,
    topic: String,
    payload: String,
    #[serde(default = "qos1")]
    qos: u8,
}

fn qos1() -> u8 {
    1
}

impl Accounted {
    /// Its function, its share and the QoS 0 part of it.
    fn parse(bytes: &[u8]) -> Option<(String, Share, Share)> {
        let r: Accounted = serde_json::from_slice(bytes).ok()?;
        let payload = BASE64.decode(r.payload.as_bytes()).ok()?;
        let share = Share {
            messages: 1,
            bytes: (r.topic.len() + payload.len()) as u64,
        };
        let qos0 = if r.qos == 0 { share } else { Share::default() };
        Some((r.function, share, qos0))
    }

    /// As [`Accounted::parse`]; a record that does not parse still takes a
    /// message of the total.
    fn parse_or_one(bytes: &[u8]) -> (String, Share, Share) {
        Self::parse(bytes).unwrap_or_else(|| {
            (
                String::new(),
                Share {
                    messages: 1,
                    bytes: 0,
                },
                Share::default(),
            )
        })
    }
}

/// The outbox could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("outbox: {0}")]
pub struct OutboxError(String);

impl From<DbError> for OutboxError {
    fn from(e: DbError) -> Self {
        Self(e.to_string())
    }
}

impl Outbox {
    /// Opens the outbox table in the KV store's database and counts what
    /// each function holds.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the table cannot be read.
    pub fn open(kv: &Kv, limits: OutboxLimits) -> Result<Self, OutboxError> {
        let db = kv.db().cloned();
        let mut usage = Usage::default();
        if let Some(db) = &db {
            usage = db.run(|db| -> Result<Usage, redb::Error> {
                let mut usage = Usage::default();
                let tx = db.begin_read()?;
                let table = match tx.open_table(TABLE) {
                    Ok(t) => t,
                    Err(redb::TableError::TableDoesNotExist(_)) => return Ok(usage),
                    Err(e) => return Err(e.into()),
                };
                for entry in table.iter()? {
                    let (_, value) = entry?;
                    // A record that does not parse still takes a message of the total.
                    let (function, share, qos0) = Accounted::parse_or_one(value.value());
                    usage.add(&function, share, qos0);
                }
                Ok(usage)
            })?;
        }
        Ok(Self {
            db,
            limits,
            len: AtomicU64::new(usage.total.messages),
            usage: Mutex::new(usage),
            appended: tokio::sync::Notify::new(),
            dropped: [AtomicU64::new(0), AtomicU64::new(0)],
            dropped_seqs: Mutex::default(),
        })
    }

    /// Woken (one waiter, or the next to wait) after each commit that appended messages.
    pub fn appended_signal(&self) -> &tokio::sync::Notify {
        &self.appended
    }

    /// Up to `max` messages with sequence numbers above `after` (all from
    /// the start when `None`), in order; records that do not decode come
    /// back apart.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the database fails.
    pub fn read_after(
        &self,
        after: Option<u64>,
        max: usize,
    ) -> Result<(Vec<Entry>, Vec<Undecodable>), OutboxError> {
        let Some(db) = &self.db else {
            return Ok((Vec::new(), Vec::new()));
        };
        let start = after.map_or(Some(0), |a| a.checked_add(1));
        let Some(start) = start else {
            return Ok((Vec::new(), Vec::new()));
        };
        let read = db.run(
            |db| -> Result<(Vec<Entry>, Vec<Undecodable>), redb::Error> {
                let mut entries = Vec::new();
                let mut bad = Vec::new();
                let tx = db.begin_read()?;
                let table = match tx.open_table(TABLE) {
                    Ok(t) => t,
                    Err(redb::TableError::TableDoesNotExist(_)) => return Ok((entries, bad)),
                    Err(e) => return Err(e.into()),
                };
                for item in table.range(start..)?.take(max) {
                    let (key, value) = item?;
                    let seq = key.value();
                    let decoded = serde_json::from_slice::<Stored>(value.value())
                        .ok()
                        .and_then(|r| {
                            let payload = BASE64.decode(r.payload.as_bytes()).ok()?;
                            let reply = r.connection.map(|connection| ReplyTo {
                                connection,
                                correlation_data: r.correlation_data,
                                content_type: r.content_type,
                                user_properties: r.user_properties,
                            });
                            Some(Entry {
                                seq,
                                time_ns: r.time_ns,
                                function: r.function,
                                trace_id: r.trace_id,
                                topic: r.topic,
                                qos: r.qos,
                                payload,
                                reply,
                            })
                        });
                    match decoded {
                        Some(entry) => entries.push(entry),
                        None => bad.push(Undecodable { seq }),
                    }
                }
                Ok((entries, bad))
            },
        )?;
        let (mut entries, bad) = read;
        self.sift_dropped(after, &mut entries, &bad);
        Ok((entries, bad))
    }

    /// Takes out of a batch read after `after` the messages dropped since
    /// the read, and forgets the drops the read already did not see.
    fn sift_dropped(&self, after: Option<u64>, entries: &mut Vec<Entry>, bad: &[Undecodable]) {
        let mut dropped = self.dropped_seqs.lock().unwrap_or_else(|e| e.into_inner());
        if dropped.is_empty() {
            return;
        }
        entries.retain(|e| !dropped.remove(&e.seq));
        let last = entries
            .iter()
            .map(|e| e.seq)
            .chain(bad.iter().map(|b| b.seq))
            .max();
        if let Some(last) = last {
            let first = after.map_or(0, |a| a + 1);
            let seen: Vec<u64> = dropped.range(first..=last).copied().collect();
            for seq in seen {
                dropped.remove(&seq);
            }
        }
    }

    /// Whether message `seq`, read before it was dropped to make room,
    /// must not be sent (asked once: the answer is forgotten).
    pub fn forget_dropped(&self, seq: u64) -> bool {
        let mut dropped = self.dropped_seqs.lock().unwrap_or_else(|e| e.into_inner());
        !dropped.is_empty() && dropped.remove(&seq)
    }

    /// Removes the messages `seqs` (the bridge sent them) in one
    /// transaction and gives their shares back; how many there were.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the database fails: nothing was removed.
    pub fn delete_many(&self, seqs: &[u64]) -> Result<usize, OutboxError> {
        let Some(db) = &self.db else {
            return Ok(0);
        };
        if seqs.is_empty() {
            return Ok(0);
        }
        let mut usage = self.usage();
        let removed = db.run(|db| -> Result<Vec<(String, Share, Share)>, redb::Error> {
            let tx = crate::db::begin_write(db)?;
            let mut removed = Vec::new();
            {
                let mut table = tx.open_table(TABLE)?;
                for seq in seqs {
                    if let Some(v) = table.remove(*seq)? {
                        removed.push(Accounted::parse_or_one(v.value()));
                    }
                }
            }
            tx.commit()?;
            Ok(removed)
        })?;
        db.mark_healthy();
        for (function, share, qos0) in &removed {
            usage.sub(function, *share, *qos0);
        }
        self.len.fetch_sub(removed.len() as u64, Ordering::Relaxed);
        Ok(removed.len())
    }

    /// Messages stored.
    pub fn len(&self) -> u64 {
        self.len.load(Ordering::Relaxed)
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The quotas.
    pub fn limits(&self) -> OutboxLimits {
        self.limits
    }

    /// What is held, locked: [`crate::txn`] holds it across a commit so
    /// that no two commits see the same room.
    pub(crate) fn usage(&self) -> MutexGuard<'_, Usage> {
        self.usage.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Messages and bytes `function` may still publish (its share or the
    /// total, whichever is smaller), read at the start of a call and checked
    /// again when it commits.
    pub fn room(&self, function: &str) -> Share {
        room(&self.usage(), &self.limits, function)
    }

    /// Whether `messages` fit `function`'s room (with `usage` locked).
    pub(crate) fn fits(&self, usage: &Usage, function: &str, messages: &[Message]) -> bool {
        let room = room(usage, &self.limits, function);
        let need = Share::of(messages);
        need.messages <= room.messages && need.bytes <= room.bytes
    }

    /// Appends `messages` inside `tx` (a commit of [`crate::txn`]).
    pub(crate) fn append_in(
        tx: &WriteTransaction,
        function: &str,
        trace_id: &str,
        messages: &[Message],
    ) -> Result<(), redb::Error> {
        append_records(tx, function, trace_id, messages, None)
    }

    /// Appends an MQTT 5 response of `function` (topic, QoS and payload in
    /// `message`), sent on the connection `reply` names, in a transaction of
    /// its own. It is counted in `function`'s share but not refused when
    /// the share is full: the request it answers was already handled.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the database fails: nothing was appended.
    pub fn append_reply(
        &self,
        function: &str,
        trace_id: &str,
        message: &Message,
        reply: &ReplyTo,
    ) -> Result<(), OutboxError> {
        self.append_reply_with(function, trace_id, message, reply, |_| Ok(()))
    }

    /// [`Outbox::append_reply`], with `also` written in the same
    /// transaction (a dead-letter record beside its publication).
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the database fails: nothing was written.
    pub fn append_reply_with(
        &self,
        function: &str,
        trace_id: &str,
        message: &Message,
        reply: &ReplyTo,
        also: impl Fn(&WriteTransaction) -> Result<(), redb::Error>,
    ) -> Result<(), OutboxError> {
        let Some(db) = &self.db else {
            return Ok(());
        };
        let mut usage = self.usage();
        let messages = std::slice::from_ref(message);
        db.run(|db| -> Result<(), redb::Error> {
            let tx = crate::db::begin_write(db)?;
            append_records(&tx, function, trace_id, messages, Some(reply))?;
            also(&tx)?;
            tx.commit()?;
            Ok(())
        })?;
        db.mark_healthy();
        self.appended(&mut usage, function, messages);
        Ok(())
    }

    /// Counts what a commit appended (with `usage` locked).
    pub(crate) fn appended(&self, usage: &mut Usage, function: &str, messages: &[Message]) {
        usage.add(function, Share::of(messages), Share::qos0_of(messages));
        self.len.fetch_add(messages.len() as u64, Ordering::Relaxed);
        if !messages.is_empty() {
            self.appended.notify_one();
        }
    }

    /// Under `drop_oldest_qos0`: removes `function`'s oldest QoS 0
    /// messages inside `tx` (a commit of [`crate::txn`], `usage` locked)
    /// until `messages` fit; what was removed, to give back with
    /// [`Outbox::dropped`] once committed.
    pub(crate) fn make_room_in(
        &self,
        tx: &WriteTransaction,
        usage: &Usage,
        function: &str,
        messages: &[Message],
    ) -> Result<(Share, Vec<u64>), redb::Error> {
        let want = excess(usage, &self.limits, function, Share::of(messages));
        let mut freed = Share::default();
        if self.limits.when_full != WhenFull::DropOldestQos0 || want == Share::default() {
            return Ok((freed, Vec::new()));
        }
        let mut table = tx.open_table(TABLE)?;
        let mut drop = Vec::new();
        for entry in table.iter()? {
            if freed.messages >= want.messages && freed.bytes >= want.bytes {
                break;
            }
            let (key, value) = entry?;
            if let Some((f, _, qos0)) = Accounted::parse(value.value())
                && f == function
                && qos0 != Share::default()
            {
                freed.add(qos0);
                drop.push(key.value());
            }
        }
        for key in &drop {
            table.remove(*key)?;
        }
        Ok((freed, drop))
    }

    /// [`Outbox::make_room_in`] when the store is in memory (the outbox
    /// only counts): all of `function`'s QoS 0 messages are dropped when
    /// `messages` do not fit without.
    pub(crate) fn make_room_counted(
        &self,
        usage: &Usage,
        function: &str,
        messages: &[Message],
    ) -> Share {
        let want = excess(usage, &self.limits, function, Share::of(messages));
        if self.limits.when_full != WhenFull::DropOldestQos0 || want == Share::default() {
            return Share::default();
        }
        usage
            .qos0_by_function
            .get(function)
            .copied()
            .unwrap_or_default()
    }

    /// `function`'s QoS 0 messages `freed` were dropped by a commit
    /// (`usage` locked): gives their share back, counts and logs them.
    pub(crate) fn dropped(&self, usage: &mut Usage, function: &str, freed: Share, seqs: Vec<u64>) {
        if freed == Share::default() {
            return;
        }
        self.dropped_seqs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(seqs);
        usage.sub(function, freed, freed);
        self.len.fetch_sub(freed.messages, Ordering::Relaxed);
        self.dropped[0].fetch_add(freed.messages, Ordering::Relaxed);
        self.dropped[1].fetch_add(freed.bytes, Ordering::Relaxed);
        tracing::warn!(
            function,
            messages = freed.messages,
            bytes = freed.bytes,
            "outbox full: dropped the function's oldest QoS 0 messages to make room (when_full = \"drop_oldest_qos0\")"
        );
    }

    /// Messages and bytes dropped to make room so far.
    pub fn dropped_total(&self) -> Share {
        Share {
            messages: self.dropped[0].load(Ordering::Relaxed),
            bytes: self.dropped[1].load(Ordering::Relaxed),
        }
    }

    /// The outbox's series on `/metrics`: its policy and what it dropped.
    pub fn encode_metrics(&self) -> String {
        let dropped = self.dropped_total();
        let policy = self.limits.when_full.as_str();
        format!(
            "# HELP jinn_outbox_when_full The outbox's policy when full (outbox.when_full), as a label.\n\
             # TYPE jinn_outbox_when_full gauge\n\
             jinn_outbox_when_full{{policy=\"{policy}\"}} 1\n\
             # HELP jinn_outbox_dropped_total QoS 0 messages dropped from a full outbox to make room.\n\
             # TYPE jinn_outbox_dropped_total counter\n\
             jinn_outbox_dropped_total {}\n\
             # HELP jinn_outbox_dropped_bytes_total Bytes (topics and payloads) of those messages.\n\
             # TYPE jinn_outbox_dropped_bytes_total counter\n\
             jinn_outbox_dropped_bytes_total {}\n",
            dropped.messages, dropped.bytes
        )
    }

    /// Removes message `seq` (the bridge sent it) and gives its function's
    /// share back; `Ok(false)` when there was no such message.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the database fails.
    pub fn delete(&self, seq: u64) -> Result<bool, OutboxError> {
        Ok(self.delete_many(&[seq])? == 1)
    }

    /// When the oldest message was committed (ns since the epoch); `None`
    /// when the outbox is empty or in memory.
    ///
    /// # Errors
    ///
    /// [`OutboxError`] when the database fails.
    pub fn oldest_time_ns(&self) -> Result<Option<u64>, OutboxError> {
        #[derive(Deserialize)]
        struct Time {
            time_ns: u64,
        }
        let Some(db) = &self.db else {
            return Ok(None);
        };
        if self.is_empty() {
            return Ok(None);
        }
        Ok(db.run(|db| -> Result<Option<u64>, redb::Error> {
            let tx = db.begin_read()?;
            let table = match tx.open_table(TABLE) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            Ok(table.first()?.and_then(|(_, v)| {
                serde_json::from_slice::<Time>(v.value())
                    .ok()
                    .map(|t| t.time_ns)
            }))
        })?)
    }
}

/// Appends `messages` under the next sequence numbers, inside `tx`.
fn append_records(
    tx: &WriteTransaction,
    function: &str,
    trace_id: &str,
    messages: &[Message],
    reply: Option<&ReplyTo>,
) -> Result<(), redb::Error> {
    if messages.is_empty() {
        return Ok(());
    }
    let time_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut table = tx.open_table(TABLE)?;
    let mut next = tx.open_table(NEXT)?;
    let after_last = table.last()?.map_or(0, |(k, _)| k.value() + 1);
    let kept = next.get("next")?.map_or(0, |v| v.value());
    let first = after_last.max(kept);
    next.insert("next", first + messages.len() as u64)?;
    for (key, m) in (first..).zip(messages) {
        let record = Record {
            time_ns,
            function,
            trace_id,
            topic: &m.topic,
            qos: m.qos as u8,
            payload: BASE64.encode(&m.payload),
            reply,
        };
        let bytes =
            serde_json::to_vec(&record).map_err(|e| redb::Error::Corrupted(e.to_string()))?;
        table.insert(key, bytes.as_slice())?;
    }
    Ok(())
}

fn room(usage: &Usage, limits: &OutboxLimits, function: &str) -> Share {
    let (mut own, mut total) = (usage.of(function), usage.total);
    if limits.when_full == WhenFull::DropOldestQos0 {
        // Its QoS 0 messages make room when dropped.
        let qos0 = usage.qos0_by_function.get(function).copied();
        own.sub(qos0.unwrap_or_default());
        total.sub(qos0.unwrap_or_default());
    }
    Share {
        messages: limits
            .function_messages
            .saturating_sub(own.messages)
            .min(limits.max_messages.saturating_sub(total.messages)),
        bytes: limits
            .function_bytes
            .saturating_sub(own.bytes)
            .min(limits.max_bytes.saturating_sub(total.bytes)),
    }
}

/// What must leave the outbox before `need` more of `function` fit its
/// share and the total, under `refuse`.
fn excess(usage: &Usage, limits: &OutboxLimits, function: &str, need: Share) -> Share {
    let own = usage.of(function);
    let over = |have: u64, cap: u64| have.saturating_sub(cap);
    Share {
        messages: over(own.messages + need.messages, limits.function_messages).max(over(
            usage.total.messages + need.messages,
            limits.max_messages,
        )),
        bytes: over(own.bytes + need.bytes, limits.function_bytes)
            .max(over(usage.total.bytes + need.bytes, limits.max_bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jinn_core::{Qos, Staged};

    fn msg(payload: usize) -> Message {
        Message {
            topic: "alerts/t1".into(),
            payload: vec![7; payload],
            qos: Qos::AtLeastOnce,
        }
    }

    fn publish(kv: &Kv, outbox: &Outbox, function: &str, messages: Vec<Message>) -> bool {
        let staged = Staged {
            published: messages,
            ..Staged::default()
        };
        crate::txn::commit(kv, Some(outbox), function, "t", &staged).is_ok()
    }

    #[test]
    fn messages_and_shares_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let limits = OutboxLimits {
            max_messages: 3,
            ..OutboxLimits::default()
        };
        {
            let kv = Kv::open_dir(dir.path()).unwrap();
            let outbox = Outbox::open(&kv, limits).unwrap();
            assert!(publish(&kv, &outbox, "f", vec![msg(2), msg(2)]));
            assert_eq!(outbox.room("f").messages, 1);
        }
        let kv = Kv::open_dir(dir.path()).unwrap();
        let outbox = Outbox::open(&kv, limits).unwrap();
        assert_eq!(outbox.len(), 2);
        assert_eq!(
            outbox.usage().of("f"),
            Share {
                messages: 2,
                bytes: 22
            }
        );
        assert!(publish(&kv, &outbox, "g", vec![msg(0)]));
        assert_eq!(outbox.room("f").messages, 0);
        assert!(!publish(&kv, &outbox, "f", vec![msg(0)]), "total reached");
        assert!(outbox.delete(0).unwrap());
        assert!(!outbox.delete(0).unwrap());
        assert_eq!(outbox.room("f").messages, 1);
        assert_eq!(
            outbox.usage().of("f"),
            Share {
                messages: 1,
                bytes: 11
            }
        );
    }

    #[test]
    fn sequence_numbers_only_grow_and_read_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let limits = OutboxLimits::default();
        {
            let kv = Kv::open_dir(dir.path()).unwrap();
            let outbox = Outbox::open(&kv, limits).unwrap();
            assert!(publish(&kv, &outbox, "f", vec![msg(1), msg(2)]));
            let (entries, bad) = outbox.read_after(None, 10).unwrap();
            assert!(bad.is_empty());
            let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
            assert_eq!(seqs, [0, 1]);
            assert_eq!(entries[1].payload, vec![7; 2]);
            assert_eq!(entries[1].topic, "alerts/t1");
            assert_eq!(entries[1].function, "f");
            assert_eq!(outbox.delete_many(&[0, 1, 5]).unwrap(), 2);
            assert!(outbox.is_empty());
            assert_eq!(outbox.room("f").messages, limits.function_messages);
        }
        // Emptied, reopened: the next message still comes after the last one.
        let kv = Kv::open_dir(dir.path()).unwrap();
        let outbox = Outbox::open(&kv, limits).unwrap();
        assert!(publish(&kv, &outbox, "f", vec![msg(3)]));
        let (entries, _) = outbox.read_after(Some(1), 10).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].seq, 2);
        assert!(outbox.read_after(Some(2), 10).unwrap().0.is_empty());
    }

    #[test]
    fn a_reply_keeps_its_connection_and_properties() {
        let dir = tempfile::tempdir().unwrap();
        let kv = Kv::open_dir(dir.path()).unwrap();
        let outbox = Outbox::open(&kv, OutboxLimits::default()).unwrap();
        assert!(publish(&kv, &outbox, "f", vec![msg(1)]));
        let reply = ReplyTo {
            connection: "local".into(),
            correlation_data: Some("AQI=".into()),
            content_type: Some("text/plain".into()),
            user_properties: vec![("status".into(), "200".into())],
        };
        outbox.append_reply("f", "t", &msg(2), &reply).unwrap();
        let (entries, bad) = outbox.read_after(None, 10).unwrap();
        assert!(bad.is_empty());
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].reply, None);
        assert_eq!(entries[1].reply.as_ref(), Some(&reply));
        assert_eq!(entries[1].payload, vec![7; 2]);
        assert_eq!(outbox.usage().of("f").messages, 2);
    }

    #[test]
    fn one_function_filling_its_share_leaves_the_others_theirs() {
        let dir = tempfile::tempdir().unwrap();
        let limits = OutboxLimits {
            max_messages: 100,
            max_bytes: 1 << 20,
            function_messages: 10,
            function_bytes: 1000,
            when_full: WhenFull::Refuse,
        };
        let kv = Kv::open_dir(dir.path()).unwrap();
        let outbox = Outbox::open(&kv, limits).unwrap();
        // Bytes: 9 + 91 = 100 a message, ten fill the share of 1000.
        for _ in 0..10 {
            assert!(publish(&kv, &outbox, "noisy", vec![msg(91)]));
        }
        assert_eq!(
            outbox.room("noisy"),
            Share {
                messages: 0,
                bytes: 0
            }
        );
        assert!(!publish(&kv, &outbox, "noisy", vec![msg(0)]));
        assert_eq!(
            outbox.room("quiet"),
            Share {
                messages: 10,
                bytes: 1000
            }
        );
        assert!(publish(&kv, &outbox, "quiet", vec![msg(491), msg(491)]));
        assert_eq!(
            outbox.room("quiet").bytes,
            0,
            "bytes, not messages, filled it"
        );
        assert!(!publish(&kv, &outbox, "quiet", vec![msg(0)]));
    }

    #[test]
    fn oldest_time_is_the_first_message_still_held() {
        let dir = tempfile::tempdir().unwrap();
        let kv = Kv::open_dir(dir.path()).unwrap();
        let outbox = Outbox::open(&kv, OutboxLimits::default()).unwrap();
        assert_eq!(outbox.oldest_time_ns().unwrap(), None);
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        assert!(publish(&kv, &outbox, "f", vec![msg(1)]));
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(publish(&kv, &outbox, "f", vec![msg(1)]));
        let first = outbox.oldest_time_ns().unwrap().unwrap();
        assert!(first >= before, "{first} < {before}");
        assert!(outbox.delete(0).unwrap());
        let second = outbox.oldest_time_ns().unwrap().unwrap();
        assert!(second > first + 4_000_000, "{second} vs {first}");
        assert_eq!(
            Outbox::open(&Kv::memory(), OutboxLimits::default())
                .unwrap()
                .oldest_time_ns()
                .unwrap(),
            None
        );
    }
}

#[cfg(test)]
#[path = "outbox_when_full_tests.rs"]
mod when_full_tests;
