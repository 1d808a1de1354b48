//! Time per call, fresh instance each time, side by side in one run:
//! the minimal module (instantiation floor), `hello`, `echo`, and `echo`
//! driven in slices of 10,000 fuel (the cost of yielding to an executor).
//!
//! `cargo bench -p jinn-benches` (the guests must be built first). The fuel
//! of each call is printed once before the timings.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use jinn_benches::{MINIMAL_WAT, NullHost, example};
use jinn_core::{EngineLimits, Function, Manifest, Request, Runtime};

fn request() -> Vec<u8> {
    let mut r = Request {
        method: "POST".into(),
        uri: "/echo?x=1".into(),
        body: br#"{"sensor":"t1","value":42.5}"#.to_vec(),
        ..Request::default()
    };
    r.headers
        .insert("Content-Type".into(), vec!["application/json".into()]);
    r.to_json()
}

fn call(function: &Function<NullHost>, manifest: &Arc<Manifest>, stdin: &[u8], slice: u64) -> u64 {
    let mut inv = function.invoke(NullHost, manifest.clone(), stdin.to_vec());
    while inv.resume(slice).is_running() {}
    let (outcome, _) = inv.finish();
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    outcome.fuel_used
}

fn invoke(c: &mut Criterion) {
    let runtime = Runtime::<NullHost>::new(EngineLimits::gateway());
    let manifest = Arc::new(Manifest::default());
    let stdin = request();
    let minimal = runtime.load(&wat::parse_str(MINIMAL_WAT).unwrap()).unwrap();
    let hello = runtime.load(&example("hello")).unwrap();
    let echo = runtime.load(&example("echo")).unwrap();
    let cases: [(&str, &Function<NullHost>, u64); 4] = [
        ("minimal", &minimal, u64::MAX),
        ("hello", &hello, u64::MAX),
        ("echo", &echo, u64::MAX),
        ("echo_sliced_10k", &echo, 10_000),
    ];
    for (name, function, slice) in &cases {
        println!(
            "fuel per call: {name} = {}",
            call(function, &manifest, &stdin, *slice)
        );
    }
    let mut group = c.benchmark_group("invoke");
    for (name, function, slice) in cases {
        group.bench_function(name, |b| {
            b.iter(|| black_box(call(function, &manifest, black_box(&stdin), slice)))
        });
    }
    group.finish();
}

fn load(c: &mut Criterion) {
    let runtime = Runtime::<NullHost>::new(EngineLimits::gateway());
    let echo = example("echo");
    c.bench_function("load/echo (validate + compile)", |b| {
        b.iter(|| runtime.load(black_box(&echo)).map(|_| ()).unwrap())
    });
}

criterion_group!(benches, invoke, load);
criterion_main!(benches);
