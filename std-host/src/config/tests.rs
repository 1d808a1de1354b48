//! Tests of config parsing and checking.

use std::path::PathBuf;

use jinn_core::Limits;

use super::validate::{DEFAULT_ADMIN, DEFAULT_LISTEN, parse};
use super::{Overrides, Source};

/// A configuration text as if read from `t.toml` in `/base`.
pub(super) fn src(text: &str) -> Source {
    Source {
        name: "t.toml".into(),
        path: None,
        text: text.into(),
        base: PathBuf::from("/base"),
    }
}

/// The errors `text` gets, as printed.
pub(super) fn errors(text: &str) -> Vec<String> {
    match parse(&src(text), &Overrides::default()) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

const OK: &str = r#"
[[function]]
name = "a"
module = "a.wasm"
routes = [{ prefix = "/a" }]
"#;

#[test]
fn minimal_config_gets_defaults() {
    let c = parse(&src(OK), &Overrides::default()).unwrap();
    assert_eq!(c.http.listen, vec![DEFAULT_LISTEN]);
    assert_eq!(c.admin.listen, DEFAULT_ADMIN);
    assert_eq!(c.data_dir, PathBuf::from("/base/jinn-data"));
    assert_eq!(c.functions[0].module, PathBuf::from("/base/a.wasm"));
    assert_eq!(c.functions[0].manifest.limits, Limits::gateway());
}

#[test]
fn type_errors_name_line_column_and_key() {
    let text = format!("{OK}[function.limits]\nmemory = \"12 parsecs\"\n");
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("t.toml:7:10: function[0].limits.memory: bad size"),
        "{e:?}"
    );
}

#[test]
fn unknown_keys_are_refused() {
    let e = errors(&format!("{OK}fule = 3\n"));
    assert!(e[0].starts_with("t.toml:6:1: function[0]"), "{e:?}");
    assert!(e[0].contains("fule"), "{e:?}");
}

#[test]
fn syntax_errors_name_the_line() {
    let e = errors("[http]\nlisten = [\"127.0.0.1:1\"\n");
    assert!(e[0].starts_with("t.toml:"), "{e:?}");
}

#[test]
fn semantic_errors_are_all_reported() {
    let text = r#"
[admin]
listen = "0.0.0.0:9090"
[[function]]
name = "a b"
module = "a.wasm"
routes = [{ path = "x" }, { prefix = "/p", path = "/q" }]
permissions = { kv_read = ["a*b"], publish = ["a/#/b"] }
env = { SECRET = { from_env = "JINN_TEST_SURELY_UNSET_VAR" } }
[[function]]
name = "b"
module = "b.wasm"
"#;
    let e = errors(text).join("\n");
    for needle in [
        "t.toml:3:10: admin.listen: 0.0.0.0:9090 is not a loopback address",
        "t.toml:5:8: function[0].name:",
        "t.toml:7:11: function[0].routes[0]: \"x\" must start with `/`",
        "function[0].routes[1]: a route has either",
        "function[0].permissions.kv_read[0]: \"a*b\"",
        "function[0].permissions.publish[0]",
        "function[0].env.SECRET: environment variable JINN_TEST_SURELY_UNSET_VAR is not set",
        "function[1].routes: function \"b\" has no routes",
    ] {
        assert!(e.contains(needle), "missing {needle:?} in\n{e}");
    }
}

#[test]
fn conflicting_routes_are_refused() {
    let text = format!(
        "{OK}\n[[function]]\nname = \"b\"\nmodule = \"b.wasm\"\nroutes = [{{ prefix = \"/a\", methods = [\"get\"] }}]\n"
    );
    let e = errors(&text);
    assert!(e[0].contains("already routed to function \"a\""), "{e:?}");
}

#[test]
fn secrets_are_never_in_errors() {
    // SAFETY of the test: the variable name is unique to this test.
    let text = format!("{OK}api_keys = [\"\"]\nenv = {{ K = \"s3cr3t\" }}\n");
    let e = errors(&text).join("\n");
    assert!(
        e.contains("api_keys[0]: an API key must not be empty"),
        "{e}"
    );
    assert!(!e.contains("s3cr3t"));
}

#[test]
fn signature_policy_defaults_like_gojinn_and_functions_override() {
    use jinn_core::signature::Policy;
    const KEY: &str = "578efbf8e3628dc7c6cc11751439184e5dbb3d865830d08da1e54853c1acf9dc";
    let c = parse(&src(OK), &Overrides::default()).unwrap();
    assert_eq!(c.functions[0].signature.policy, Policy::Off);
    assert!(c.functions[0].signature.trusted.is_empty());
    // Trusted keys without a policy: Gojinn's empty policy, which audits.
    let text = format!("[security]\ntrusted_keys = [\"{KEY}\"]\n{OK}");
    let c = parse(&src(&text), &Overrides::default()).unwrap();
    assert_eq!(c.functions[0].signature.policy, Policy::Audit);
    assert_eq!(c.functions[0].signature.trusted[0].to_string(), KEY);
    // A function's policy wins and inherits the keys; its keys replace them.
    let text = format!(
        "[security]\npolicy = \"strict\"\ntrusted_keys = [\"{KEY}\"]\n{OK}security = {{ policy = \"off\" }}\n"
    );
    let c = parse(&src(&text), &Overrides::default()).unwrap();
    assert_eq!(c.functions[0].signature.policy, Policy::Off);
    assert_eq!(c.functions[0].signature.trusted.len(), 1);
    let text = format!(
        "[security]\npolicy = \"strict\"\n{OK}security = {{ trusted_keys = [\"{KEY}\"] }}\n"
    );
    let e = errors(&text);
    assert_eq!(
        e.len(),
        1,
        "only the gateway's own strict has no keys: {e:?}"
    );
    assert!(
        e[0].starts_with("t.toml:2:10: security.policy: security policy is strict"),
        "{e:?}"
    );
}

#[test]
fn module_settings_are_read_and_a_bad_mode_is_named() {
    let c = parse(&src(OK), &Overrides::default()).unwrap();
    assert_eq!(c.modules, super::ModuleSettings::default());
    let text = format!("[modules]\ncompile = \"on_first_use\"\nresident = 3\n{OK}");
    let c = parse(&src(&text), &Overrides::default()).unwrap();
    assert!(c.modules.on_first_use);
    assert_eq!(c.modules.resident, 3);
    let bad = errors(&format!("[modules]\ncompile = \"lazy\"\n{OK}"));
    assert_eq!(bad.len(), 1);
    assert!(
        bad[0].starts_with("t.toml:2:11: modules.compile: \"lazy\""),
        "{bad:?}"
    );
}

#[test]
fn mistyped_secrets_are_never_echoed() {
    let function = |extra: &str| {
        format!(
            "[[function]]\nname = \"a\"\nmodule = \"a.wasm\"\nroutes = [{{ prefix = \"/a\" }}]\n{extra}\n"
        )
    };
    let cases = [
        function("env = { TOKEN = 12345678 }"),
        function("env = { TOKEN = 1234.5678 }"),
        function("env = { TOKEN = [\"s3cret-a\"] }"),
        function("env = { TOKEN = { from_env = 87654321 } }"),
        function("env = { TOKEN = { value = \"s3cret-b\" } }"),
        function("env = \"s3cret-c\""),
        function("api_keys = [\"ok-key\", 4242424242]"),
        function("api_keys = \"s3cret-d\""),
        function("api_keys = [{ from_env = \"X\", literal = \"s3cret-e\" }]"),
        function("env = { TOKEN = \"s3cret-f"),
        function("env = { TOKEN = 's3cret-g }"),
        function("env = { TOKEN = s3cret-h }"),
        format!("[admin]\ntoken = 31337313\n{}", function("")),
        format!("[admin]\ntoken = [\"s3cret-i\"]\n{}", function("")),
        format!("admin = \"s3cret-j\"\n{}", function("")),
        format!("[admin]\ntoken = \"\"\"s3cret-k\n{}", function("")),
    ];
    for text in &cases {
        let e = errors(text);
        assert!(!e.is_empty(), "{text}");
        for secret in [
            "12345678",
            "1234.5678",
            "87654321",
            "4242424242",
            "31337313",
            "s3cret",
        ] {
            assert!(!e.join("\n").contains(secret), "{text}\n{e:?}");
        }
    }
}

#[test]
fn module_limits_and_connection_caps_come_from_the_file() {
    let c = parse(&src(OK), &Overrides::default()).unwrap();
    assert_eq!(c.modules.limits, jinn_core::ModuleLimits::default());
    assert_eq!(c.http.max_connections_per_peer, 128);
    let text = format!(
        "[http]\nmax_connections_per_peer = 8\nidle_timeout = \"2s\"\n[modules]\nmax_bytes = \"1MiB\"\nmax_functions = 300\n{OK}"
    );
    let c = parse(&src(&text), &Overrides::default()).unwrap();
    assert_eq!(
        (c.modules.limits.max_bytes, c.modules.limits.max_functions),
        (1 << 20, 300)
    );
    assert_eq!(c.http.max_connections_per_peer, 8);
    assert_eq!(c.http.idle_timeout, std::time::Duration::from_secs(2));
    let e = errors(&format!(
        "[modules]\nmax_functions = 0\nmax_bytes = 12\n{OK}"
    ));
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].starts_with("t.toml:3:13: modules.max_bytes:"), "{e:?}");
    assert!(
        e[1].starts_with("t.toml:2:17: modules.max_functions:"),
        "{e:?}"
    );
}

#[test]
fn status_actions_need_the_admin_token_and_known_names() {
    let e = errors(&format!("[admin]\nactions = [\"reload\", \"wipe\"]\n{OK}"));
    assert_eq!(
        e,
        [
            "t.toml:2:22: admin.actions[1]: unknown action \"wipe\" (known: reload)",
            "t.toml:2:11: admin.actions: needs admin.token: the status page's actions are never open without it",
        ]
    );
    let c = parse(
        &src(&format!(
            "[admin]\ntoken = \"s3cret\"\nactions = [\"reload\"]\n{OK}"
        )),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(c.admin.actions, [crate::status::Action::Reload]);
    let c = parse(&src(OK), &Overrides::default()).unwrap();
    assert!(c.admin.actions.is_empty(), "read-only by default");
}
