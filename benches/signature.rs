//! Time to verify a signed module (`signature::check` under `strict`: the
//! GJSIG trailer, SHA-512 of the module, one Ed25519 verification) per
//! module size, side by side with validating and compiling `echo`, which a
//! load does next.
//!
//! `cargo bench -p jinn-benches --bench signature` (the guests must be built first).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ed25519_dalek::{Signer, SigningKey};
use jinn_benches::{NullHost, example};
use jinn_core::signature::{FOOTER, Policy, PublicKey, check};
use jinn_core::{EngineLimits, Runtime};

fn signed(module: &[u8], key: &SigningKey) -> Vec<u8> {
    let mut out = module.to_vec();
    out.extend_from_slice(&key.sign(module).to_bytes());
    out.extend_from_slice(&FOOTER);
    out
}

fn verify(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let trusted = [PublicKey::from_bytes(key.verifying_key().as_bytes()).unwrap()];
    let mut group = c.benchmark_group("verify");
    for kib in [1usize, 16, 128, 1024] {
        let module: Vec<u8> = (0..kib * 1024).map(|i| (i * 31 % 251) as u8).collect();
        let file = signed(&module, &key);
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{kib} KiB")),
            &file,
            |b, f| {
                b.iter(|| check(black_box(f), Policy::Strict, &trusted).unwrap());
            },
        );
    }
    let echo = example("echo");
    let file = signed(&echo, &key);
    group.bench_function(format!("echo ({} bytes)", echo.len()), |b| {
        b.iter(|| check(black_box(&file), Policy::Strict, &trusted).unwrap());
    });
    let runtime = Runtime::<NullHost>::new(EngineLimits::gateway());
    group.bench_function("load echo (validate + compile), for scale", |b| {
        b.iter(|| runtime.load(black_box(&echo)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
