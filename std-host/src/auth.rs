//! API keys and the admin token: compared in constant time on their SHA-256
//! digests (so neither the content nor the length leaks through timing),
//! never logged, echoed or used as an identity.

use hyper::HeaderMap;
use hyper::header::AUTHORIZATION;
use sha2::{Digest, Sha256};

/// The credential a request carries: `Authorization: Bearer <key>`, else `X-Api-Key`.
pub fn presented(headers: &HeaderMap) -> Option<&[u8]> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
    bearer.or_else(|| headers.get("x-api-key").map(|v| v.as_bytes()))
}

/// Equality of two digests without early exit.
fn digest_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    std::hint::black_box(diff) == 0
}

/// Does `key` match one of `allowed` (SHA-256 digests)? Every digest is compared.
pub fn key_matches(key: &[u8], allowed: &[[u8; 32]]) -> bool {
    let digest: [u8; 32] = Sha256::digest(key).into();
    allowed
        .iter()
        .fold(false, |found, a| found | digest_eq(&digest, a))
}

/// Does the request carry `Authorization: Bearer <token>`?
pub fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let want: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let got = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        .unwrap_or(b"");
    key_matches(got, &[want]) && !got.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_exactly() {
        let allowed = [Sha256::digest(b"k1").into(), Sha256::digest(b"k2").into()];
        assert!(key_matches(b"k2", &allowed));
        assert!(!key_matches(b"k", &allowed));
        assert!(!key_matches(b"k22", &allowed));
        assert!(!key_matches(b"", &allowed));
    }

    #[test]
    fn bearer_or_header() {
        let mut h = HeaderMap::new();
        h.insert("x-api-key", "a".parse().unwrap());
        assert_eq!(presented(&h), Some(&b"a"[..]));
        h.insert(AUTHORIZATION, "Bearer b".parse().unwrap());
        assert_eq!(presented(&h), Some(&b"b"[..]));
        assert!(bearer_matches(&h, "b"));
        assert!(!bearer_matches(&h, "a"));
    }
}
