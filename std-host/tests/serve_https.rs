//! `jinn serve` with `[https]`: HTTPS beside HTTP, a certificate renewed
//! and picked up on SIGHUP, client certificates required or optional, and
//! unusable files named by `jinn check` and `jinn serve`. Certificates are
//! made by a throwaway CA (rcgen); the client is curl.

#[path = "support/pki.rs"]
mod pki;
mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use pki::{Ca, Pair, curl, curl_trusting};
use support::{BASE, Server, field, function, jinn, printer};

const BODY: &str = "hello over TLS";

/// A config with `[https]` for `pair` and `extra` keys, and a function at `/hi`.
fn config(dir: &Path, pair: &Pair, extra: &str) -> String {
    let guest = printer(dir, "hi", &format!(r#"{{"status":200,"body":"{BODY}"}}"#));
    format!(
        "{BASE}[https]\nlisten = [\"127.0.0.1:0\"]\ncert = {:?}\nkey = {:?}\n{extra}\n{}",
        pair.cert.display().to_string(),
        pair.key.display().to_string(),
        function("hi", &guest, "/hi", "")
    )
}

fn https_addr(server: &Server) -> SocketAddr {
    assert!(server.wait_log("listening", Duration::from_secs(5)));
    let log = server.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("listening"))
        .expect("a listening line");
    field(line, "https").unwrap_or_else(|| panic!("https address in {line:?}"))
}

fn url(addr: SocketAddr) -> String {
    format!("https://127.0.0.1:{}/hi", addr.port())
}

fn wait_reload(server: &Server, count: usize) {
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let log = server.log_text();
        if log.matches("configuration reloaded").count() + log.matches("reload refused;").count()
            >= count
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no reload in the log:\n{}", server.log_text());
}

#[test]
fn https_and_http_serve_the_same_routes_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "ca");
    let pair = ca.server(dir.path(), "server");
    let server = Server::start_with(&config(dir.path(), &pair, ""), dir, &[]);
    let https = https_addr(&server);

    let r = curl_trusting(&ca.cert, &url(https), &["-i"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.body.starts_with("HTTP/1.1 200"), "{r:?}");
    assert!(r.body.ends_with(BODY), "{r:?}");
    let named = curl_trusting(
        &ca.cert,
        &format!("https://localhost:{}/hi", https.port()),
        &[
            "--resolve",
            &format!("localhost:{}:127.0.0.1", https.port()),
        ],
    );
    assert_eq!((named.code, named.body.as_str()), (0, BODY), "{named:?}");

    let plain = server.get("/hi");
    assert_eq!((plain.status, plain.text().as_str()), (200, BODY));

    // Plain HTTP on the HTTPS port is not answered in clear text.
    let cleartext = curl(&format!("http://127.0.0.1:{}/hi", https.port()), &[]);
    assert_ne!(cleartext.code, 0, "{cleartext:?}");
    assert!(!cleartext.body.contains(BODY), "{cleartext:?}");
    // A certificate from a CA the client does not trust is refused by it.
    let other = Ca::new(server.dir.path(), "other");
    let untrusted = curl_trusting(&other.cert, &url(https), &[]);
    assert_eq!(untrusted.code, 60, "{untrusted:?}");
    // And the gateway is still serving.
    let again = curl_trusting(&ca.cert, &url(https), &[]);
    assert_eq!((again.code, again.body.as_str()), (0, BODY), "{again:?}");
}

#[test]
fn a_renewed_certificate_is_served_to_new_connections_after_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let (old_ca, new_ca) = (Ca::new(dir.path(), "old-ca"), Ca::new(dir.path(), "new-ca"));
    let pair = old_ca.server(dir.path(), "server");
    let server = Server::start_with(&config(dir.path(), &pair, ""), dir, &[]);
    let https = url(https_addr(&server));
    assert_eq!(curl_trusting(&old_ca.cert, &https, &[]).body, BODY);
    assert_eq!(curl_trusting(&new_ca.cert, &https, &[]).code, 60);

    // Renewed in place, as an ACME client does: new files at the same paths.
    let renewed = new_ca.server(server.dir.path(), "renewed");
    std::fs::rename(&renewed.cert, &pair.cert).unwrap();
    std::fs::rename(&renewed.key, &pair.key).unwrap();
    assert_eq!(
        curl_trusting(&old_ca.cert, &https, &[]).body,
        BODY,
        "no reload without SIGHUP (watching is off)"
    );
    server.signal(libc::SIGHUP);
    wait_reload(&server, 1);
    let r = curl_trusting(&new_ca.cert, &https, &[]);
    assert_eq!((r.code, r.body.as_str()), (0, BODY), "{r:?}");
    assert_eq!(curl_trusting(&old_ca.cert, &https, &[]).code, 60);

    // A key that is not the certificate's: the reload is refused, the
    // certificate in force keeps serving.
    let stray = new_ca.server(server.dir.path(), "stray");
    std::fs::rename(&stray.key, &pair.key).unwrap();
    server.signal(libc::SIGHUP);
    wait_reload(&server, 2);
    let log = server.log_text();
    assert!(log.contains("reload refused"), "{log}");
    assert!(
        log.contains("the private key is not the key of the certificate"),
        "{log}"
    );
    let r = curl_trusting(&new_ca.cert, &https, &[]);
    assert_eq!((r.code, r.body.as_str()), (0, BODY), "{r:?}");
}

#[test]
fn a_required_client_certificate_must_be_signed_by_the_client_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "ca");
    let devices = Ca::new(dir.path(), "devices");
    let stranger = Ca::new(dir.path(), "stranger");
    let pair = ca.server(dir.path(), "server");
    let sensor = devices.client(dir.path(), "sensor-1");
    let rogue = stranger.client(dir.path(), "rogue");
    let extra = format!("client_ca = {:?}\n", devices.cert.display().to_string());
    let server = Server::start_with(&config(dir.path(), &pair, &extra), dir, &[]);
    let https = url(https_addr(&server));
    let with = |p: &Pair| {
        curl_trusting(
            &ca.cert,
            &https,
            &[
                "--cert",
                p.cert.to_str().unwrap(),
                "--key",
                p.key.to_str().unwrap(),
            ],
        )
    };

    let none = curl_trusting(&ca.cert, &https, &[]);
    assert_ne!(none.code, 0, "{none:?}");
    assert!(!none.body.contains(BODY), "{none:?}");
    let rogue_call = with(&rogue);
    assert_ne!(rogue_call.code, 0, "{rogue_call:?}");
    assert!(!rogue_call.body.contains(BODY), "{rogue_call:?}");
    let r = with(&sensor);
    assert_eq!((r.code, r.body.as_str()), (0, BODY), "{r:?}");
    // The HTTP listener is not asked for certificates.
    assert_eq!(server.get("/hi").status, 200);
}

#[test]
fn an_optional_client_certificate_may_be_absent_but_not_bad() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "ca");
    let stranger = Ca::new(dir.path(), "stranger");
    let pair = ca.server(dir.path(), "server");
    let sensor = ca.client(dir.path(), "sensor-1");
    let rogue = stranger.client(dir.path(), "rogue");
    let extra = format!(
        "client_ca = {:?}\nclient_auth = \"optional\"\n",
        ca.cert.display().to_string()
    );
    let server = Server::start_with(&config(dir.path(), &pair, &extra), dir, &[]);
    let https = url(https_addr(&server));
    let with = |p: &Pair| {
        let (cert, key) = (p.cert.to_str().unwrap(), p.key.to_str().unwrap());
        curl_trusting(&ca.cert, &https, &["--cert", cert, "--key", key])
    };
    assert_eq!(curl_trusting(&ca.cert, &https, &[]).body, BODY);
    assert_eq!(with(&sensor).body, BODY);
    let r = with(&rogue);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(!r.body.contains(BODY), "{r:?}");
}

#[test]
fn unusable_files_are_named_with_their_place_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "ca");
    let pair = ca.server(dir.path(), "server");
    let missing = Pair {
        cert: dir.path().join("missing.pem"),
        key: pair.key.clone(),
    };
    let path = dir.path().join("jinn.toml");
    std::fs::write(&path, config(dir.path(), &missing, "")).unwrap();
    let path = path.to_str().unwrap();
    let expected = format!(
        "{path}:9:8: https.cert: cannot read {}: No such file or directory",
        missing.cert.display()
    );

    let (code, out, err) = jinn(&["check", "--config", path]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains(&expected), "{err}");

    let (code, _, err) = jinn(&["serve", "--config", path]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&expected), "{err}");

    std::fs::write(path, config(dir.path(), &pair, "")).unwrap();
    let (code, out, err) = jinn(&["check", "--config", path]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_client_that_never_finishes_its_handshake_is_closed_after_the_header_timeout() {
    use std::io::Read;

    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "ca");
    let pair = ca.server(dir.path(), "server");
    let config = config(dir.path(), &pair, "")
        .replace("[http]\n", "[http]\nheader_read_timeout = \"300ms\"\n");
    let server = Server::start_with(&config, dir, &[]);
    let https = https_addr(&server);
    let mut silent = std::net::TcpStream::connect(https).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let start = std::time::Instant::now();
    let mut buf = [0u8; 64];
    let n = silent.read(&mut buf).unwrap_or(0);
    let waited = start.elapsed();
    assert_eq!(n, 0, "closed without an answer");
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(8),
        "closed after {waited:?}"
    );
    let r = curl_trusting(&ca.cert, &url(https), &[]);
    assert_eq!((r.code, r.body.as_str()), (0, BODY), "{r:?}");
}
