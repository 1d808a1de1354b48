//! Signed modules on the gateway, through the real `jinn` binary: the
//! key and module formats of Gojinn's signer (vectors made with it in
//! `core/tests/vectors/gojinn/`), `off`/`audit`/`strict` at start, per
//! function and at reload, and config errors with file, line and column.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::{BASE, Server, function, jinn, root};

fn vector(name: &str) -> PathBuf {
    root().join("core/tests/vectors/gojinn").join(name)
}

fn copy(name: &str, to: &Path) -> String {
    std::fs::copy(vector(name), to).unwrap();
    to.display().to_string()
}

fn pub_hex(name: &str) -> String {
    std::fs::read_to_string(vector(&format!("{name}.pub"))).unwrap()
}

#[test]
fn jinn_sign_reproduces_gojinns_signer_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let module = copy("v1.wasm", &dir.path().join("m.wasm"));
    let key = vector("gojinn.priv").display().to_string();
    let (code, out, err) = jinn(&["sign", "--key", &key, &module]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&pub_hex("gojinn")), "{out}");
    assert_eq!(
        std::fs::read(&module).unwrap(),
        std::fs::read(vector("v1.signed.wasm")).unwrap(),
        "Ed25519 is deterministic: Gojinn's signer wrote exactly this"
    );
    // Signing a signed module replaces its signature, as Gojinn's SignWasm does.
    let other = vector("other.priv").display().to_string();
    let (code, _, err) = jinn(&["sign", "--key", &other, &module]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read(&module).unwrap(),
        std::fs::read(vector("v1.other.wasm")).unwrap()
    );
}

#[test]
fn jinn_verify_accepts_gojinn_signed_modules_and_refuses_the_rest() {
    let gojinn = vector("gojinn.pub").display().to_string();
    let verify = |file: &str, key: &str| {
        let path = vector(file).display().to_string();
        jinn(&["verify", "--trusted-key", key, &path])
    };
    let (code, out, err) = verify("v1.signed.wasm", &gojinn);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("163 bytes of module"), "{out}");
    // The key as hex digits works as well as its file.
    assert_eq!(verify("v2.signed.wasm", &pub_hex("gojinn")).0, 0);
    for (file, message) in [
        (
            "v1.other.wasm",
            "invalid digital signature or untrusted key",
        ),
        (
            "tampered-body.wasm",
            "invalid digital signature or untrusted key",
        ),
        (
            "tampered-signature.wasm",
            "invalid digital signature or untrusted key",
        ),
        ("truncated-footer.wasm", "missing magic footer"),
        (
            "truncated-signature.wasm",
            "invalid digital signature or untrusted key",
        ),
        ("truncated-68.wasm", "file too small to contain a signature"),
        (
            "other-module-signature.wasm",
            "invalid digital signature or untrusted key",
        ),
        ("v1.wasm", "missing magic footer"),
        // Its outer signature is `other`'s.
        (
            "double-signed.wasm",
            "invalid digital signature or untrusted key",
        ),
    ] {
        let (code, _, err) = verify(file, &gojinn);
        assert_eq!(code, 1, "{file}: {err}");
        assert!(err.contains(message), "{file}: {err}");
    }
    // A double signature is refused even under the key of its outer signature.
    let other = vector("other.pub").display().to_string();
    let (code, _, err) = verify("double-signed.wasm", &other);
    assert_eq!((code, err.contains("signed twice")), (1, true), "{err}");
    // A private key is not a public key.
    let private = vector("gojinn.priv").display().to_string();
    let (code, _, err) = verify("v1.signed.wasm", &private);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("expected 32, got 64"), "{err}");
}

#[test]
fn keygen_writes_gojinn_key_files_that_sign_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("k").display().to_string();
    let (code, out, err) = jinn(&["keygen", "--name", &prefix]);
    assert_eq!(code, 0, "{err}");
    let public = std::fs::read_to_string(format!("{prefix}.pub")).unwrap();
    let private = std::fs::read_to_string(format!("{prefix}.priv")).unwrap();
    assert_eq!(out.trim(), public);
    // Gojinn's format: hex without a newline, seed ‖ public key, mode 0600.
    assert_eq!(public.len(), 64);
    assert_eq!(private.len(), 128);
    assert!(private.ends_with(&public));
    assert!(!err.contains(&private[..64]), "the secret is never printed");
    for ext in [".pub", ".priv"] {
        let mode = std::fs::metadata(format!("{prefix}{ext}"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{ext}");
    }
    // Never over existing keys.
    let (code, _, err) = jinn(&["keygen", "--name", &prefix]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        std::fs::read_to_string(format!("{prefix}.pub")).unwrap(),
        public
    );

    let module = copy("v2.wasm", &dir.path().join("m.wasm"));
    let (code, _, err) = jinn(&["sign", "--key", &format!("{prefix}.priv"), &module]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = jinn(&["verify", "--trusted-key", &format!("{prefix}.pub"), &module]);
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = jinn(&["verify", "--trusted-key", &pub_hex("gojinn"), &module]);
    assert_eq!(code, 1);

    // A private key whose public half is not its seed's is refused.
    let mut bad = private.clone().into_bytes();
    bad[127] = if bad[127] == b'0' { b'1' } else { b'0' };
    let bad_path = dir.path().join("bad.priv");
    std::fs::write(&bad_path, bad).unwrap();
    let (code, _, err) = jinn(&["sign", "--key", bad_path.to_str().unwrap(), &module]);
    assert_eq!(code, 2);
    assert!(err.contains("does not match its seed"), "{err}");
}

fn security(policy: &str, keys: &str) -> String {
    format!("[security]\npolicy = \"{policy}\"\ntrusted_keys = [{keys}]\n")
}

fn gojinn_key() -> String {
    format!("{{ file = \"{}\" }}", vector("gojinn.pub").display())
}

#[test]
fn strict_refuses_at_start_what_audit_runs() {
    let dir = tempfile::tempdir().unwrap();
    let signed = copy("v1.signed.wasm", &dir.path().join("signed.wasm"));
    let unsigned = copy("v2.wasm", &dir.path().join("unsigned.wasm"));
    let other = copy("v1.other.wasm", &dir.path().join("other.wasm"));
    let functions = function("s", &signed, "/s", "")
        + &function("u", &unsigned, "/u", "")
        + &function("o", &other, "/o", "");

    // strict: the gateway does not start, and says which module and why.
    let config = dir.path().join("strict.toml");
    std::fs::write(
        &config,
        format!("{BASE}{}{functions}", security("strict", &gojinn_key())),
    )
    .unwrap();
    let path = config.to_str().unwrap();
    for command in [
        &["check", "--config", path][..],
        &["serve", "--config", path],
    ] {
        let (code, _, err) = jinn(command);
        assert_eq!(code, 1, "{command:?}: {err}");
        let unsigned_line = format!(
            "strict.toml:19:10: function[1].module: {unsigned}: module signature verification failed: file does not contain a valid signature footer (missing magic footer)"
        );
        assert!(err.contains(&unsigned_line), "{command:?}:\n{err}");
        assert!(
            err.contains("function[2].module")
                && err.contains("invalid digital signature or untrusted key"),
            "{err}"
        );
        assert!(
            !err.contains("function[0]"),
            "the signed module loads: {err}"
        );
    }

    // audit: everything runs; the failures are logged in Gojinn's words.
    let s = Server::start(&format!(
        "{BASE}{}{functions}",
        security("audit", &gojinn_key())
    ));
    assert_eq!(s.get("/s").text(), "signed v1");
    assert_eq!(s.get("/u").text(), "signed v2");
    assert_eq!(s.get("/o").text(), "signed v1");
    let log = s.log_text();
    assert!(log.contains("Module Signature Verified"), "{log}");
    assert_eq!(
        log.matches("Security Audit Failed (Allowing run due to audit policy)")
            .count(),
        2,
        "{log}"
    );

    // Per function: strict for the gateway, audit for one function.
    let functions = function("s", &signed, "/s", "")
        + &function("u", &unsigned, "/u", "security = { policy = \"audit\" }");
    let s = Server::start(&format!(
        "{BASE}{}{functions}",
        security("strict", &gojinn_key())
    ));
    assert_eq!(s.get("/u").text(), "signed v2");
    assert_eq!(s.get("/s").text(), "signed v1");
}

#[test]
fn security_errors_name_file_line_column_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let module = copy("v1.signed.wasm", &dir.path().join("m.wasm"));
    let config = dir.path().join("j.toml");
    let missing = dir.path().join("missing.pub");
    let text = format!(
        "{BASE}[security]\npolicy = \"strictest\"\ntrusted_keys = [\"abcd\", {{ file = \"{}\" }}, {{ file = \"{}\" }}]\n{}",
        missing.display(),
        vector("gojinn.priv").display(),
        function(
            "a",
            &module,
            "/a",
            "security = { policy = \"strict\", trusted_keys = [] }"
        )
    );
    std::fs::write(&config, text).unwrap();
    let (code, _, err) = jinn(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 1);
    for needle in [
        "j.toml:8:10: security.policy: unknown policy \"strictest\" (use \"off\", \"audit\" or \"strict\")",
        "j.toml:9:17: security.trusted_keys[0]: invalid public key size (expected 32, got 2)",
        "j.toml:9:25: security.trusted_keys[1]: cannot read",
        "security.trusted_keys[2]: ",
        "(a private key? trust the .pub file)",
        "function[0].security.policy: security policy is strict but no trusted keys are defined",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in\n{err}");
    }
    // strict without keys at the gateway level.
    std::fs::write(
        &config,
        format!(
            "{BASE}[security]\npolicy = \"strict\"\n{}",
            function("a", &module, "/a", "")
        ),
    )
    .unwrap();
    let (code, _, err) = jinn(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("j.toml:8:10: security.policy: security policy is strict but no trusted keys are defined"),
        "{err}"
    );
}

fn wait_for(s: &Server, series: &str, n: f64) {
    let started = Instant::now();
    while s.metric(series) < n {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{series} reached {n}:\n{}",
            s.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Under `strict`, a module replaced by one that does not verify is refused
/// at reload and the previous version keeps serving; a properly signed
/// replacement is taken.
#[test]
fn reload_under_strict_keeps_the_old_version_serving() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("f.wasm");
    let path = copy("v1.signed.wasm", &module);
    let s = Server::start_with(
        &format!(
            "{BASE}{}{}",
            security("strict", &gojinn_key()),
            function("f", &path, "/f", "")
        ),
        dir,
        &[],
    );
    assert_eq!(s.get("/f").text(), "signed v1");
    let ok = "jinn_reloads_total{result=\"ok\"}";
    let failed = "jinn_reloads_total{result=\"failed\"}";
    let replace = |name: &str| {
        // As a deployment would: write beside, rename over.
        let tmp = module.with_extension("tmp");
        std::fs::copy(vector(name), &tmp).unwrap();
        std::fs::rename(&tmp, &module).unwrap();
    };
    for (n, bad) in [
        "v2.wasm",
        "tampered-body.wasm",
        "truncated-signature.wasm",
        "other-module-signature.wasm",
        "double-signed.wasm",
    ]
    .into_iter()
    .enumerate()
    {
        replace(bad);
        s.signal(libc::SIGHUP);
        wait_for(&s, failed, (n + 1) as f64);
        assert_eq!(s.get("/f").text(), "signed v1", "after {bad}");
    }
    assert!(
        s.log_text()
            .contains("module signature verification failed")
    );
    assert_eq!(s.metric(ok), 0.0);

    replace("v2.signed.wasm");
    s.signal(libc::SIGHUP);
    wait_for(&s, ok, 1.0);
    assert_eq!(s.get("/f").text(), "signed v2");
}
