//! A device without a network: jinn-embassy over a flash file, called
//! directly. For the parity test, the footprint report and tests of the
//! call path.

use std::cell::RefCell;
use std::path::Path;

use jinn_core::{Manifest, Permissions, Request};
use jinn_embassy::catalog::CatalogWriter;
use jinn_embassy::flash::{Partitions, Region};
use jinn_embassy::record::Name;
use jinn_embassy::{Config, DeviceSettings, FunctionRecord, Jinn, Resources};

use crate::image::{Board, HostFlash};

/// Writes a catalog of `modules` (every permission granted, as `jinn run`
/// does) into a fresh host flash file `dir/flash.bin`, and returns the flash.
///
/// # Panics
///
/// When a module or the flash file cannot be read or written: this is test
/// support.
pub fn flash_with(dir: &Path, modules: &[&Path]) -> HostFlash {
    let manifest = Manifest {
        permissions: Permissions::allow_all(),
        ..Manifest::default()
    };
    flash_with_manifest(dir, modules, &manifest)
}

/// [`flash_with`], every function with `manifest`.
///
/// # Panics
///
/// As [`flash_with`].
pub fn flash_with_manifest(dir: &Path, modules: &[&Path], manifest: &Manifest) -> HostFlash {
    let board = Board::Host;
    let flash = HostFlash::create(&dir.join("flash.bin"), board.capacity()).expect("flash file");
    let parts = Partitions::new::<HostFlash>(board.capacity(), board.layout()).expect("layout");
    let cell = RefCell::new(flash);
    {
        let region = Region::new(&cell, 0, parts.catalog.end);
        let mut catalog =
            CatalogWriter::create(region, &DeviceSettings::default()).expect("catalog");
        for (i, module) in modules.iter().enumerate() {
            let record = FunctionRecord {
                name: Name::try_from(format!("f{i}").as_str()).expect("name"),
                route: None,
                topics: heapless::Vec::new(),
                timers: heapless::Vec::new(),
                manifest: manifest.clone(),
                wasm_len: 0,
                wasm_sha256: [0; 32],
            };
            let wasm =
                std::fs::read(module).unwrap_or_else(|e| panic!("{}: {e}", module.display()));
            catalog.add(&record, &wasm).expect("catalog entry");
        }
    }
    cell.into_inner()
}

/// Starts a device on `flash` (its resources are leaked: one per test).
///
/// # Panics
///
/// When the device does not boot.
pub fn start(flash: HostFlash, config: Config) -> &'static Jinn<HostFlash> {
    let config = Config {
        layout: Board::Host.layout(),
        ..config
    };
    let resources = Box::leak(Box::new(Resources::new()));
    Jinn::start(resources, flash, config, [7; 32]).expect("boot")
}

/// Calls function `index` with the envelope `envelope` and waits for it.
///
/// # Panics
///
/// When the envelope is not valid JSON.
pub fn call(jinn: &'static Jinn<HostFlash>, index: usize, envelope: &str) -> jinn_core::Outcome {
    let request = Request::from_json(envelope.as_bytes()).expect("envelope");
    embassy_futures::block_on(jinn.call(index, &request))
}
