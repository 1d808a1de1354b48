//! Module `jinn`: what the edge needs beyond Gojinn's ABI.
//!
//! `publish(topic_ptr, topic_len, payload_ptr, payload_len, qos) -> i32`
//! returns 0 when the message is staged (see [`crate::staged`]), or: `-1`
//! not permitted, `-2` invalid topic (also longer than `topic_bytes`) or
//! QoS, `-3` no room in the target's outbox (messages or bytes: the
//! function's share or the total) or `publishes` reached, `-4` payload over
//! `publish_bytes`.
//!
//! `kv_get(k_ptr, k_len, out_ptr, out_max) -> i64` is the length-reporting
//! read: −1 when the key is missing or denied, otherwise the value's full
//! length; the value is written only when it fits in `out_max` (otherwise
//! nothing is written and the guest retries with a buffer of that length).
//! It reads the call's own staged writes, as `host_kv_get` does.

use alloc::format;
use alloc::string::String;

use wasmi::Linker;

use jinn_contract::abi::{
    PUBLISH_DENIED, PUBLISH_INVALID, PUBLISH_OK, PUBLISH_TOO_LARGE, PUBLISH_UNAVAILABLE,
};

use super::kv_read::{Fit, kv_read};
use super::{Ctx, note, read_prefix};
use crate::excerpt::{EXCERPT_BYTES, quoted};
use crate::imports::JINN;
use crate::metering::{charge, checkpoint, cost};
use crate::permissions::valid_topic;
use crate::ports::{Host, LogLevel, Qos};
use crate::staged::Message;
use crate::state::HostState;

fn publish<H: Host>(
    mut caller: Ctx<'_, H>,
    t_ptr: i32,
    t_len: i32,
    p_ptr: i32,
    p_len: i32,
    qos: i32,
) -> Result<i32, wasmi::Error> {
    checkpoint(&mut caller, false)?;
    let topic_len = t_len as u32 as usize;
    let payload_len = p_len as u32 as usize;
    let limits = &caller.data().manifest.limits;
    let (topic_cap, payload_cap) = (limits.topic_bytes as usize, limits.publish_bytes as usize);
    // One byte over a cap is enough to know it is over: a long topic or
    // payload is refused without being copied out of guest memory.
    let topic = read_prefix(&caller, t_ptr, t_len, topic_cap.saturating_add(1))?;
    let payload = read_prefix(&caller, p_ptr, p_len, payload_cap.saturating_add(1))?;
    charge(&mut caller, cost(topic.len() as u64 + payload.len() as u64))?;
    let state = caller.data_mut();
    let limits = &state.manifest.limits;
    let (topic, qos) = match (String::from_utf8(topic), Qos::from_i32(qos)) {
        (Ok(t), Some(q)) if topic_len <= topic_cap && valid_topic(&t) => (t, q),
        _ => {
            state.stats.publish_refused += 1;
            return Ok(PUBLISH_INVALID);
        }
    };
    let code = if !state.manifest.permissions.may_publish(&topic) {
        let shown = quoted(topic.as_bytes(), EXCERPT_BYTES);
        note(
            state,
            LogLevel::Warn,
            &format!("publish denied: topic {shown}"),
        );
        PUBLISH_DENIED
    } else if payload_len > limits.publish_bytes as usize {
        PUBLISH_TOO_LARGE
    } else if state.staged.published.len() >= limits.publishes as usize {
        PUBLISH_UNAVAILABLE
    } else if state.staged.published.len() >= state.host.outbox_room()
        || state.staged.published_bytes() + topic.len() + payload.len()
            > state.host.outbox_room_bytes()
    {
        let shown = quoted(topic.as_bytes(), EXCERPT_BYTES);
        note(
            state,
            LogLevel::Warn,
            &format!("publish to {shown} refused: the outbox is full"),
        );
        PUBLISH_UNAVAILABLE
    } else {
        state.staged.published.push(Message {
            topic,
            payload,
            qos,
        });
        PUBLISH_OK
    };
    if code == PUBLISH_OK {
        state.stats.published += 1;
    } else {
        state.stats.publish_refused += 1;
    }
    Ok(code)
}

pub(super) fn link<H: Host>(linker: &mut Linker<HostState<H>>) -> Result<(), wasmi::Error> {
    linker.func_wrap(JINN, "publish", publish::<H>)?;
    linker.func_wrap(
        JINN,
        "kv_get",
        |c: Ctx<'_, H>, kp: i32, kl: i32, op: i32, om: i32| kv_read(c, kp, kl, op, om, Fit::Whole),
    )?;
    Ok(())
}
