//! The build script of every board: puts the board's `memory.x` (and its
//! `device.x`, if it has one) where the linker finds them and passes the
//! linker scripts of cortex-m-rt (`link.x`) and defmt (`defmt.x`).
//! `--nmagic` keeps the sections aligned as they are in flash; `--icf=all`
//! folds functions whose machine code is identical (monomorphised copies;
//! Rust promises no distinct addresses for functions), about 3.5 KB.

use std::path::{Path, PathBuf};

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    for script in ["memory.x", "device.x"] {
        // A board without a device.x has no file to watch (a missing
        // watched file would rebuild the board every time).
        if Path::new(script).exists() {
            println!("cargo:rerun-if-changed={script}");
            std::fs::copy(script, out.join(script)).expect("copy linker script");
        }
    }
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=--nmagic");
    println!("cargo:rustc-link-arg-bins=--icf=all");
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
}
