//! Tests of `outbox.when_full`: refusing, or dropping the function's
//! oldest QoS 0 messages.

use jinn_core::{Message, Qos, Staged};

use super::{Outbox, OutboxLimits, Share, WhenFull};
use crate::kv::Kv;

fn msg(payload: &str, qos: Qos) -> Message {
    Message {
        topic: "t".into(),
        payload: payload.as_bytes().to_vec(),
        qos,
    }
}

fn publish(kv: &Kv, outbox: &Outbox, function: &str, m: Message) -> bool {
    let staged = Staged {
        published: vec![m],
        ..Staged::default()
    };
    crate::txn::commit(kv, Some(outbox), function, "t", &staged).is_ok()
}

fn held(outbox: &Outbox) -> Vec<String> {
    let (entries, _) = outbox.read_after(None, 100).unwrap();
    entries
        .into_iter()
        .map(|e| format!("{}:{}", e.function, String::from_utf8(e.payload).unwrap()))
        .collect()
}

fn limits(when_full: WhenFull) -> OutboxLimits {
    OutboxLimits {
        max_messages: 5,
        function_messages: 3,
        when_full,
        ..OutboxLimits::default()
    }
}

#[test]
fn drop_oldest_qos0_drops_the_functions_oldest_qos0_messages_only() {
    let dir = tempfile::tempdir().unwrap();
    let kv = Kv::open_dir(dir.path()).unwrap();
    let outbox = Outbox::open(&kv, limits(WhenFull::DropOldestQos0)).unwrap();
    assert!(publish(&kv, &outbox, "g", msg("g0", Qos::AtMostOnce)));
    assert!(publish(&kv, &outbox, "f", msg("a0", Qos::AtMostOnce)));
    assert!(publish(&kv, &outbox, "f", msg("b1", Qos::AtLeastOnce)));
    assert!(publish(&kv, &outbox, "f", msg("c0", Qos::AtMostOnce)));
    // Full for `f` (3 of 3); its 2 QoS 0 messages are room to the guest.
    assert_eq!(outbox.room("f").messages, 2);
    assert!(publish(&kv, &outbox, "f", msg("d1", Qos::AtLeastOnce)));
    assert_eq!(held(&outbox), ["g:g0", "f:b1", "f:c0", "f:d1"]);
    assert!(publish(&kv, &outbox, "f", msg("e0", Qos::AtMostOnce)));
    assert!(publish(&kv, &outbox, "f", msg("f1", Qos::AtLeastOnce)));
    assert_eq!(held(&outbox), ["g:g0", "f:b1", "f:d1", "f:f1"]);
    // Only QoS 1 messages left: refused, as under `refuse`.
    assert_eq!(outbox.room("f").messages, 0);
    assert!(!publish(&kv, &outbox, "f", msg("g1", Qos::AtLeastOnce)));
    assert_eq!(
        outbox.dropped_total(),
        Share {
            messages: 3,
            bytes: 9
        }
    );
    assert_eq!(outbox.len(), 4);
    let text = outbox.encode_metrics();
    assert!(
        text.contains("jinn_outbox_when_full{policy=\"drop_oldest_qos0\"} 1"),
        "{text}"
    );
    assert!(text.contains("jinn_outbox_dropped_total 3\n"), "{text}");
    // The shares kept in memory are those the file gives after a restart.
    drop(outbox);
    let again = Outbox::open(&kv, limits(WhenFull::DropOldestQos0)).unwrap();
    assert_eq!((again.len(), again.room("f").messages), (4, 0));
    assert_eq!(again.room("g").messages, 2);
}

#[test]
fn refuse_keeps_every_message_and_refuses_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let kv = Kv::open_dir(dir.path()).unwrap();
    let outbox = Outbox::open(&kv, limits(WhenFull::Refuse)).unwrap();
    for p in ["a0", "b0", "c0"] {
        assert!(publish(&kv, &outbox, "f", msg(p, Qos::AtMostOnce)));
    }
    assert_eq!(outbox.room("f").messages, 0);
    assert!(!publish(&kv, &outbox, "f", msg("d0", Qos::AtMostOnce)));
    assert_eq!(held(&outbox), ["f:a0", "f:b0", "f:c0"]);
    assert_eq!(outbox.dropped_total(), Share::default());
    assert!(
        outbox
            .encode_metrics()
            .contains("jinn_outbox_when_full{policy=\"refuse\"} 1")
    );
}

#[test]
fn a_message_the_bridge_read_before_it_was_dropped_is_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let kv = Kv::open_dir(dir.path()).unwrap();
    let outbox = Outbox::open(&kv, limits(WhenFull::DropOldestQos0)).unwrap();
    for p in ["a0", "b0", "c0"] {
        assert!(publish(&kv, &outbox, "f", msg(p, Qos::AtMostOnce)));
    }
    // The bridge read all three; then `d` drops `a`.
    let (read, _) = outbox.read_after(None, 100).unwrap();
    let seqs: Vec<u64> = read.iter().map(|e| e.seq).collect();
    assert!(publish(&kv, &outbox, "f", msg("d0", Qos::AtMostOnce)));
    assert!(outbox.forget_dropped(seqs[0]), "a was dropped: not sent");
    assert!(!outbox.forget_dropped(seqs[0]), "asked once");
    assert!(!outbox.forget_dropped(seqs[1]));
    // `e` drops `b`, read already: the next read has only what is held,
    // and `b` is skipped when its turn comes.
    assert!(publish(&kv, &outbox, "f", msg("e0", Qos::AtMostOnce)));
    let (later, _) = outbox.read_after(Some(seqs[2]), 100).unwrap();
    let payloads: Vec<&[u8]> = later.iter().map(|e| e.payload.as_slice()).collect();
    assert_eq!(payloads, [b"d0", b"e0"]);
    assert!(outbox.forget_dropped(seqs[1]), "b was read before its drop");
    assert!(outbox.dropped_seqs.lock().unwrap().is_empty());
}
