//! Module `jinn`: `publish(topic_ptr, topic_len, payload_ptr, payload_len, qos) -> i32`.
//!
//! Returns 0 when the publisher accepted the message, or:
//! `-1` not permitted, `-2` invalid topic or QoS, `-3` publisher unavailable,
//! queue full, or too many publishes in this call, `-4` payload too large.

use alloc::format;

use wasmi::Linker;

use jinn_contract::abi::{
    PUBLISH_DENIED, PUBLISH_INVALID, PUBLISH_OK, PUBLISH_TOO_LARGE, PUBLISH_UNAVAILABLE,
};

use super::{Ctx, note, read_guest, read_str};
use crate::imports::JINN;
use crate::metering::{charge, cost};
use crate::permissions::valid_topic;
use crate::ports::{Host, LogLevel, Qos};
use crate::state::HostState;

fn publish<H: Host>(
    mut caller: Ctx<'_, H>,
    t_ptr: i32,
    t_len: i32,
    p_ptr: i32,
    p_len: i32,
    qos: i32,
) -> Result<i32, wasmi::Error> {
    let topic = read_str(&caller, t_ptr, t_len)?;
    let payload = read_guest(&caller, p_ptr, p_len)?;
    charge(
        &mut caller,
        cost(u64::from(t_len as u32) + payload.len() as u64),
    )?;
    let state = caller.data_mut();
    let limits = &state.manifest.limits;
    let (topic, qos) = match (topic, Qos::from_i32(qos)) {
        (Some(t), Some(q)) if valid_topic(&t) => (t, q),
        _ => {
            state.stats.publish_refused += 1;
            return Ok(PUBLISH_INVALID);
        }
    };
    let code = if !state.manifest.permissions.may_publish(&topic) {
        note(
            state,
            LogLevel::Warn,
            &format!("publish denied: topic `{topic}`"),
        );
        PUBLISH_DENIED
    } else if payload.len() > limits.publish_bytes as usize {
        PUBLISH_TOO_LARGE
    } else if state.stats.published >= limits.publishes {
        PUBLISH_UNAVAILABLE
    } else {
        match state.host.publish(&topic, &payload, qos) {
            Ok(()) => PUBLISH_OK,
            Err(e) => {
                note(
                    state,
                    LogLevel::Warn,
                    &format!("publish to `{topic}` failed: {e}"),
                );
                PUBLISH_UNAVAILABLE
            }
        }
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
    Ok(())
}
