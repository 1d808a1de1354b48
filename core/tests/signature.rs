//! Signed modules against vectors made with Gojinn's own signer
//! (`tests/vectors/gojinn/`, see its README): Jinn verifies, strips and
//! refuses exactly what Gojinn does, and the policy decides as Gojinn's
//! `loadWasmSecurely` does.

mod support;

use std::path::PathBuf;

use jinn_core::signature::{
    self, Checked, Policy, PolicyError, PublicKey, SignatureError, Status, check, split, strip,
    verify_module,
};
use sha2::{Digest, Sha256};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/gojinn")
}

fn file(name: &str) -> &'static [u8] {
    let bytes = std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    bytes.leak()
}

fn key(name: &str) -> PublicKey {
    let text = std::fs::read_to_string(dir().join(format!("{name}.pub"))).unwrap();
    PublicKey::from_hex(&text).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every case Gojinn's `VerifyWasm` and `StripSignature` were run on: the
/// same verdict, the same message, the same bytes.
#[test]
fn jinn_agrees_with_gojinn_on_every_vector() {
    let cases: serde_json::Value =
        serde_json::from_slice(file("gojinn-verify.json")).expect("vectors parse");
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 39, "13 files × 3 sets of trusted keys");
    for case in cases {
        let name = case["file"].as_str().unwrap();
        let bytes = file(name);
        let trusted: Vec<PublicKey> = case["trusted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| key(k.as_str().unwrap()))
            .collect();
        let what = format!("{name} with {:?}", case["trusted"]);
        assert_eq!(
            hex(&Sha256::digest(strip(bytes))),
            case["stripped_sha256"].as_str().unwrap(),
            "strip: {what}"
        );
        match verify_module(bytes, &trusted) {
            Ok((body, _)) => {
                assert!(case["ok"].as_bool().unwrap(), "{what}: Gojinn refused it");
                assert_eq!(
                    hex(&Sha256::digest(body)),
                    case["clean_sha256"].as_str().unwrap(),
                    "{what}"
                );
            }
            Err(e) => {
                assert!(!case["ok"].as_bool().unwrap(), "{what}: Gojinn accepted it");
                assert_eq!(e.to_string(), case["error"].as_str().unwrap(), "{what}");
            }
        }
    }
}

#[test]
fn the_key_that_signed_is_named() {
    let trusted = [key("other"), key("gojinn")];
    let (body, index) = verify_module(file("v1.signed.wasm"), &trusted).unwrap();
    assert_eq!(body, file("v1.wasm"));
    assert_eq!(index, 1);
    assert_eq!(signature::verify(b"", &[0; 64], &trusted), None);
}

#[test]
fn strict_loads_only_what_a_trusted_key_signed() {
    let trusted = [key("gojinn")];
    let v1 = file("v1.wasm");
    let ok = check(file("v1.signed.wasm"), Policy::Strict, &trusted).unwrap();
    assert_eq!(
        ok,
        Checked {
            module: v1,
            status: Status::Verified { key: 0 }
        }
    );
    for (name, why) in [
        ("v1.wasm", SignatureError::MissingFooter),
        ("v1.other.wasm", SignatureError::Invalid),
        ("tampered-body.wasm", SignatureError::Invalid),
        ("tampered-signature.wasm", SignatureError::Invalid),
        ("truncated-footer.wasm", SignatureError::MissingFooter),
        ("truncated-signature.wasm", SignatureError::Invalid),
        ("truncated-68.wasm", SignatureError::TooSmall),
        ("other-module-signature.wasm", SignatureError::Invalid),
    ] {
        let e = check(file(name), Policy::Strict, &trusted).unwrap_err();
        assert_eq!(e, PolicyError::Unverified(why), "{name}");
        assert!(
            e.to_string()
                .starts_with("module signature verification failed: "),
            "{e}"
        );
    }
    assert_eq!(
        check(file("v1.signed.wasm"), Policy::Strict, &[]),
        Err(PolicyError::NoTrustedKeys)
    );
    assert_eq!(
        PolicyError::NoTrustedKeys.to_string(),
        "security policy is strict but no trusted keys are defined"
    );
}

#[test]
fn audit_warns_strips_and_loads() {
    let trusted = [key("gojinn")];
    let v1 = file("v1.wasm");
    for (name, status) in [
        ("v1.signed.wasm", Status::Verified { key: 0 }),
        (
            "v1.other.wasm",
            Status::AuditFailed(SignatureError::Invalid),
        ),
        (
            "tampered-signature.wasm",
            Status::AuditFailed(SignatureError::Invalid),
        ),
        (
            "v1.wasm",
            Status::AuditFailed(SignatureError::MissingFooter),
        ),
    ] {
        let c = check(file(name), Policy::Audit, &trusted).unwrap();
        assert_eq!(c.status, status, "{name}");
        assert_eq!(c.module, v1, "{name}: the trailer is stripped");
    }
    let failed = check(file("v1.wasm"), Policy::Audit, &trusted).unwrap();
    assert!(
        failed
            .status
            .to_string()
            .starts_with("Security Audit Failed (Allowing run due to audit policy): "),
        "{}",
        failed.status
    );
    // Without keys there is nothing to check against (Gojinn strips and loads).
    let c = check(file("v1.other.wasm"), Policy::Audit, &[]).unwrap();
    assert_eq!((c.module, c.status), (v1, Status::NotChecked));
}

#[test]
fn off_strips_without_verifying() {
    let v1 = file("v1.wasm");
    for name in [
        "v1.signed.wasm",
        "v1.other.wasm",
        "tampered-signature.wasm",
        "v1.wasm",
    ] {
        let c = check(file(name), Policy::Off, &[key("gojinn")]).unwrap();
        assert_eq!((c.module, c.status), (v1, Status::NotChecked), "{name}");
    }
}

/// A trailer over a signed file: Gojinn verifies the outer signature and
/// hands `wasm || sig || GJSIG` to its compiler. Jinn refuses it by name,
/// under every policy; re-signing (Gojinn's signer and `jinn sign` strip
/// first) replaces the signature instead.
#[test]
fn a_double_signature_is_refused_and_resigning_replaces() {
    let double = file("double-signed.wasm");
    let inner = split(double).unwrap().body;
    assert_eq!(inner, file("v1.signed.wasm"));
    for policy in [Policy::Off, Policy::Audit, Policy::Strict] {
        assert_eq!(
            check(double, policy, &[key("other")]),
            Err(PolicyError::SignedTwice),
            "{policy}"
        );
    }
    let resigned = file("resigned-other.wasm");
    assert_eq!(resigned, file("v1.other.wasm"));
    assert!(check(resigned, Policy::Strict, &[key("gojinn")]).is_err());
    assert!(check(resigned, Policy::Strict, &[key("other")]).is_ok());
}

#[test]
fn a_verified_module_loads_and_answers() {
    let checked = check(file("v2.signed.wasm"), Policy::Strict, &[key("gojinn")]).unwrap();
    let function = support::runtime().load(checked.module).expect("loads");
    let (outcome, _) = support::run(&function, Default::default(), b"{}");
    assert_eq!(outcome.result.unwrap().body, b"signed v2");
}
