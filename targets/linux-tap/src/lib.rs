//! # jinn-linux-tap
//!
//! jinn-embassy's code on Linux: the device's tasks run on embassy's std
//! executor with embassy-net over a TAP device, and the flash is a file.
//! It is what the integration tests drive (in a network namespace, with a
//! real mosquitto and curl), what builds flash images for boards, and
//! where the latency numbers come from.
//!
//! * `jinn-tap image --spec SPEC --out FILE [--board host|nucleo-h743zi]`
//! * `jinn-tap serve --flash FILE --tap tap0 --ip 10.42.0.2/24`
//! * `jinn-tap measure` (keep-alive latency, `/healthz` while a guest burns fuel)

#[macro_use]
mod fmt;

pub mod elf;
pub mod file_flash;
pub mod image;
pub mod in_process;
pub mod serve;
