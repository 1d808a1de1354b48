//! Properties of the contract codec over arbitrary input: it never panics,
//! and whatever it encodes it decodes to the same value.

use std::collections::BTreeMap;

use jinn_contract::{Headers, Request, Response};
use proptest::prelude::*;

fn headers() -> impl Strategy<Value = Headers> {
    proptest::collection::btree_map(".{0,12}", proptest::collection::vec(".{0,20}", 1..3), 0..4)
        .prop_map(|m: BTreeMap<String, Vec<String>>| m.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn responses_round_trip(
        status in 200u16..600,
        headers in headers(),
        body in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let response = Response { status, headers, body };
        prop_assert_eq!(Response::from_guest_output(&response.to_json()).unwrap(), response);
    }

    #[test]
    fn requests_round_trip(
        method in "[A-Z]{1,7}",
        uri in "/[ -~]{0,40}",
        headers in headers(),
        body in proptest::collection::vec(any::<u8>(), 0..256),
        trace_id in proptest::option::of("[0-9a-f]{32}"),
    ) {
        let request = Request { method, uri, headers, body, trace_id };
        prop_assert_eq!(Request::from_json(&request.to_json()).unwrap(), request);
    }

    #[test]
    fn arbitrary_output_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Response::from_guest_output(&bytes);
        let _ = Request::from_json(&bytes);
    }

    #[test]
    fn json_shaped_output_never_panics(text in r#"\{("[a-z_]{1,8}":(-?[0-9]{1,4}|"[^"\\]{0,8}"|\[\]|\{\}|null|true),?){0,5}\}"#) {
        let _ = Response::from_guest_output(text.as_bytes());
    }
}
