//! Links a tiny guest with a 16 KiB shadow stack (the workspace gives
//! guests 64 KiB): stack, data and a small request then fit the first
//! 64 KiB page of linear memory.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-cdylib-link-arg=-zstack-size=16384");
    }
}
