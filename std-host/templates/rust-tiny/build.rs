//! A 16 KiB shadow stack: stack, data and a small request fit the first
//! 64 KiB page of linear memory (`jinn build` passes it too).

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-cdylib-link-arg=-zstack-size=16384");
    }
}
