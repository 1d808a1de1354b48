//! Every input the fuzz targets ever crashed on, replayed: `fuzz/regressions/<target>/`.

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        eprintln!("{}", path.display());
        check(&data);
        n += 1;
    }
    assert!(n > 0, "{} holds no input", dir.display());
}

#[test]
fn contract() {
    replay("contract", jinn_fuzz::contract::check);
}

#[test]
fn config() {
    replay("config", jinn_fuzz::config::check);
}

#[test]
fn module() {
    replay("module", jinn_fuzz::module::check);
}
