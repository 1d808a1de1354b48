//! `fuel-burner`: burns CPU deterministically, for fuel and deadline tests.
//!
//! With `?iterations=N` it runs N rounds of xorshift64 over a `u64` seeded
//! with `0x9E3779B97F4A7C15` and answers `200` with
//! `{"iterations":N,"result":"<16 hex digits>"}`. Without the parameter it
//! never returns: the runtime must stop it (fuel or deadline). A parameter
//! that is not a non-negative integer gets `400`.

use core::hint::black_box;

use jinn_guest::{Request, Response};

/// The generator's starting state (2^64 / golden ratio).
const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// One xorshift64 round (Marsaglia's 13/7/17 triple).
fn round(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// Runs `iterations` rounds from the seed.
fn burn(iterations: u64) -> u64 {
    let mut x = SEED;
    for _ in 0..iterations {
        x = black_box(round(black_box(x)));
    }
    x
}

/// Runs rounds until the runtime stops the function.
fn burn_forever() -> ! {
    let mut x = SEED;
    loop {
        x = black_box(round(black_box(x)));
    }
}

fn handle(request: Request) -> Response {
    let Some(iterations) = request.query("iterations") else {
        burn_forever();
    };
    let Ok(iterations) = iterations.parse::<u64>() else {
        return Response::error(400, "iterations must be a non-negative integer");
    };
    let result = format!("{:016x}", burn(iterations));
    Response::new(200)
        .body(format!(
            r#"{{"iterations":{iterations},"result":"{result}"}}"#
        ))
        .header("Content-Type", "application/json")
}

fn main() {
    jinn_guest::run(handle);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(uri: &str) -> Response {
        handle(Request {
            uri: uri.to_string(),
            ..Request::default()
        })
    }

    #[test]
    fn zero_iterations_is_the_seed() {
        assert_eq!(
            get("/?iterations=0").body,
            r#"{"iterations":0,"result":"9e3779b97f4a7c15"}"#
        );
    }

    #[test]
    fn matches_a_plain_loop() {
        let mut x = SEED;
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        assert_eq!(burn(1000), x);
        assert_eq!(
            get("/?iterations=1000").body,
            format!(r#"{{"iterations":1000,"result":"{x:016x}"}}"#)
        );
    }

    #[test]
    fn bad_iterations_is_400() {
        assert_eq!(get("/?iterations=-1").status, 400);
        assert_eq!(get("/?iterations=ten").status, 400);
    }
}
