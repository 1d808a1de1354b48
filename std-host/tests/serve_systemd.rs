//! `jinn serve` under a service manager: the `sd_notify` datagrams it sends
//! to a `NOTIFY_SOCKET` the test owns, and when. READY=1 only once the
//! functions answer; RELOADING=1 then READY=1 around a SIGHUP reload, the
//! new configuration in force by then; WATCHDOG=1 at half `WATCHDOG_USEC`;
//! STOPPING=1 when SIGTERM starts the drain.

mod support;

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use support::{BASE, Server, function, printer};

struct Notifications(UnixDatagram);

impl Notifications {
    fn bind(path: &std::path::Path) -> Self {
        let socket = UnixDatagram::bind(path).unwrap();
        Self(socket)
    }

    /// The next datagram, within `limit`.
    fn next(&self, limit: Duration) -> Option<String> {
        self.0.set_read_timeout(Some(limit)).unwrap();
        let mut buf = [0u8; 4096];
        let n = self.0.recv(&mut buf).ok()?;
        Some(String::from_utf8(buf[..n].to_vec()).unwrap())
    }

    /// The next datagram that is not a watchdog ping; the pings seen before it.
    fn next_state(&self, limit: Duration) -> (Option<String>, usize) {
        let start = Instant::now();
        let mut pings = 0;
        while let Some(left) = limit.checked_sub(start.elapsed()) {
            match self.next(left) {
                Some(m) if m == "WATCHDOG=1\n" => pings += 1,
                other => return (other, pings),
            }
        }
        (None, pings)
    }
}

fn guest(dir: &std::path::Path, name: &str, body: &str) -> String {
    printer(dir, name, &format!(r#"{{"status":200,"body":"{body}"}}"#))
}

#[test]
fn ready_reloading_watchdog_and_stopping_are_told_when_they_happen() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let notifications = Notifications::bind(&socket_path);
    let one = function("one", &guest(dir.path(), "one", "first"), "/one", "");
    let config = format!("{BASE}{one}");
    let socket = socket_path.to_str().unwrap().to_string();
    let mut server = Server::start_with(
        &config,
        dir,
        &[("NOTIFY_SOCKET", &socket), ("WATCHDOG_USEC", "200000")],
    );

    let (ready, _) = notifications.next_state(Duration::from_secs(10));
    assert_eq!(
        ready.as_deref(),
        Some("READY=1\nSTATUS=serving 1 functions\n")
    );
    assert_eq!(server.get("/one").text(), "first", "serving when READY=1");

    // Every 100 ms: at least 5 pings in a second (a generous lower bound).
    let start = Instant::now();
    let mut pings = 0;
    while start.elapsed() < Duration::from_secs(1) {
        match notifications.next(Duration::from_secs(1)) {
            Some(m) => {
                assert_eq!(m, "WATCHDOG=1\n");
                pings += 1;
            }
            None => break,
        }
    }
    assert!(pings >= 5, "{pings} watchdog pings in a second");

    // A second function, in force by the time READY=1 follows RELOADING=1.
    let two = function(
        "two",
        &guest(server.dir.path(), "two", "second"),
        "/two",
        "",
    );
    std::fs::write(&server.config, format!("{config}{two}")).unwrap();
    server.signal(libc::SIGHUP);
    let (reloading, _) = notifications.next_state(Duration::from_secs(10));
    let reloading = reloading.expect("RELOADING=1");
    let usec = reloading
        .strip_prefix("RELOADING=1\nMONOTONIC_USEC=")
        .unwrap_or_else(|| panic!("{reloading:?}"));
    assert!(usec.trim_end().parse::<u64>().unwrap() > 0, "{reloading:?}");
    let (ready, _) = notifications.next_state(Duration::from_secs(20));
    assert_eq!(
        ready.as_deref(),
        Some("READY=1\nSTATUS=serving 2 functions\n")
    );
    assert_eq!(server.get("/two").text(), "second", "reloaded when READY=1");

    // A refused reload ends with READY=1 too: the previous version serves.
    std::fs::write(&server.config, "this is not toml").unwrap();
    server.signal(libc::SIGHUP);
    let (reloading, _) = notifications.next_state(Duration::from_secs(10));
    assert!(reloading.unwrap().starts_with("RELOADING=1\n"));
    let (ready, _) = notifications.next_state(Duration::from_secs(20));
    assert_eq!(
        ready.as_deref(),
        Some("READY=1\nSTATUS=serving 2 functions\n")
    );
    assert!(server.wait_log("reload refused", Duration::from_secs(5)));

    server.signal(libc::SIGTERM);
    let (stopping, _) = notifications.next_state(Duration::from_secs(10));
    assert_eq!(stopping.as_deref(), Some("STOPPING=1\nSTATUS=draining\n"));
    assert_eq!(server.wait_exit(Duration::from_secs(15)), Some(0));
}

#[test]
fn no_watchdog_pings_without_watchdog_usec() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let notifications = Notifications::bind(&socket_path);
    let one = function("one", &guest(dir.path(), "one", "first"), "/one", "");
    let socket = socket_path.to_str().unwrap().to_string();
    let server = Server::start_with(&format!("{BASE}{one}"), dir, &[("NOTIFY_SOCKET", &socket)]);
    let (ready, _) = notifications.next_state(Duration::from_secs(10));
    assert!(ready.unwrap().starts_with("READY=1\n"));
    assert_eq!(notifications.next(Duration::from_millis(500)), None);
    drop(server);
}
