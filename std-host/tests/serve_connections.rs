//! Connection floods on loopback: idle and slow sockets never keep a new
//! client out, one address cannot hold more than its share of busy
//! connections, a full gateway refuses clearly, idle keep-alive connections
//! are closed, and the admin listener answers through all of it.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};
use support::{BASE, Conn, Server, example, function, request, spinner, wait_metric};

/// Lets this process (and the gateway it starts) hold `n` more sockets.
fn allow_open_files(n: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit are given a valid pointer to a local.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        assert!(
            limit.rlim_max >= n + 256,
            "the hard limit of open files ({}) is too low for this test",
            limit.rlim_max
        );
        limit.rlim_cur = limit.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
}

/// A connection to `to` from the loopback address `127.0.0.<from>`.
fn connect_from(from: u8, to: SocketAddr) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let local: SocketAddr = format!("127.0.0.{from}:0").parse().unwrap();
    socket.bind(&local.into()).unwrap();
    socket
        .connect_timeout(&to.into(), Duration::from_secs(5))
        .unwrap();
    let stream: TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

/// Sends a GET and reads the status line's code.
fn status_of(stream: &mut TcpStream, path: &str) -> u16 {
    write!(stream, "GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    first_status(stream)
}

fn first_status(stream: &mut TcpStream) -> u16 {
    first_response(stream).0
}

/// The status and the text of what the server sent first.
fn first_response(stream: &mut TcpStream) -> (u16, String) {
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a response: {text:?}"));
    (status, text)
}

/// A request on a fresh connection, timed.
fn timed_get(addr: SocketAddr, path: &str) -> (u16, Duration) {
    let started = Instant::now();
    let r = request(addr, "GET", path, &[], b"");
    (r.status, started.elapsed())
}

#[test]
fn idle_sockets_never_keep_a_client_out() {
    allow_open_files(4_000);
    let config = BASE.to_string() + &function("hello", &example("hello"), "/hello", "");
    let s = Server::start(&config);
    // 2,000 sockets that never send a byte, 1 in 10 to the admin listener:
    // each is a new client, and each connects at once (a gateway that kept
    // them all waited for idle ones to time out before it accepted more).
    let started = Instant::now();
    let idle: Vec<TcpStream> = (0..2_000)
        .map(|i| TcpStream::connect(if i % 10 == 0 { s.admin } else { s.http }).unwrap())
        .collect();
    let connected = started.elapsed();
    assert!(
        connected < Duration::from_secs(5),
        "2,000 clients connected in {connected:?}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let (status, took) = timed_get(s.http, "/hello");
    assert_eq!(status, 200);
    assert!(
        took < Duration::from_secs(2),
        "a new client waited {took:?}"
    );
    let (status, took) = timed_get(s.admin, "/metrics");
    assert_eq!(status, 200);
    assert!(
        took < Duration::from_secs(2),
        "the admin listener waited {took:?}"
    );
    assert!(s.metric("jinn_connections_evicted_total") > 0.0);
    assert!(s.metric("jinn_http_connections") <= 1024.0);
    drop(idle);
}

#[test]
fn slow_clients_never_lock_others_out() {
    let config = BASE.replace(
        "[http]\n",
        "[http]\nmax_connections = 40\nmax_connections_per_peer = 40\n",
    ) + &function("hello", &example("hello"), "/hello", "");
    let s = Server::start(&config);
    // 60 clients that send their headers one line every 200 ms, for ever.
    let mut slow: Vec<TcpStream> = (0..60)
        .map(|_| {
            let mut c = TcpStream::connect(s.http).unwrap();
            c.write_all(b"GET /hello HTTP/1.1\r\nHost: t\r\n").unwrap();
            c
        })
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let trickling = stop.clone();
    let trickle = std::thread::spawn(move || {
        // Until told to stop, or past the header timeout (10 s).
        for _ in 0..60 {
            if trickling.load(std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
            for c in &mut slow {
                let _ = c.write_all(b"X-Slow: 1\r\n");
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..3 {
        let (status, took) = timed_get(s.http, "/hello");
        assert_eq!(status, 200);
        assert!(
            took < Duration::from_secs(2),
            "a new client waited {took:?}"
        );
    }
    // A keep-alive client that pauses between requests is just as welcome.
    let mut keep = Conn::open(s.http);
    for _ in 0..3 {
        assert_eq!(keep.send("GET", "/hello", &[], b"").unwrap().status, 200);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    trickle.join().unwrap();
}

fn busy_config(max: u32, per_peer: u32) -> String {
    BASE.replace(
        "[http]\n",
        &format!("[http]\nmax_connections = {max}\nmax_connections_per_peer = {per_peer}\n"),
    ) + "[pool]\nworkers = 1\nqueue = 16\nqueue_timeout = \"10s\"\n"
        + &spinner("3s")
}

/// `n` connections from `127.0.0.<from>`, each with a call in flight.
fn busy(s: &Server, from: u8, n: usize) -> Vec<TcpStream> {
    let conns: Vec<TcpStream> = (0..n)
        .map(|_| {
            let mut c = connect_from(from, s.http);
            c.write_all(b"GET /spin HTTP/1.1\r\nHost: t\r\n\r\n")
                .unwrap();
            c
        })
        .collect();
    let started = Instant::now();
    while s.metric("jinn_in_flight") + s.metric("jinn_queue_depth") < n as f64 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the calls started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    conns
}

#[test]
fn one_address_cannot_hold_more_than_its_share() {
    let s = Server::start(&busy_config(100, 3));
    let _held = busy(&s, 2, 3);
    let started = Instant::now();
    let mut fourth = connect_from(2, s.http);
    let (status, mut text) = first_response(&mut fourth);
    assert_eq!(status, 503, "refused at once, clearly");
    assert!(started.elapsed() < Duration::from_secs(1));
    let _ = fourth.read_to_string(&mut text);
    assert!(text.contains("too_many_connections"), "{text}");
    // Another address is served.
    let mut other = connect_from(3, s.http);
    assert_eq!(status_of(&mut other, "/nowhere"), 404);
    assert_eq!(
        s.metric("jinn_connections_refused_total{listener=\"http\",reason=\"per_peer\"}"),
        1.0
    );
}

#[test]
fn a_full_gateway_refuses_clearly() {
    let s = Server::start(&busy_config(3, 3));
    let _held = busy(&s, 2, 3);
    let started = Instant::now();
    let mut late = connect_from(3, s.http);
    assert_eq!(first_status(&mut late), 503);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        s.metric("jinn_connections_refused_total{listener=\"http\",reason=\"total\"}"),
        1.0
    );
    // The admin listener is apart: it still answers.
    let (status, took) = timed_get(s.admin, "/readyz");
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(1));
}

#[test]
fn idle_keep_alive_connections_are_closed() {
    let config = BASE.replace("[http]\n", "[http]\nidle_timeout = \"300ms\"\n")
        + &function("hello", &example("hello"), "/hello", "");
    let s = Server::start(&config);
    let mut c = TcpStream::connect(s.http).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(status_of(&mut c, "/hello"), 200);
    let mut rest = Vec::new();
    let started = Instant::now();
    // The rest of the response, then end of stream when the server closes.
    let _ = c.read_to_end(&mut rest);
    let closed_after = started.elapsed();
    assert!(
        closed_after < Duration::from_secs(2),
        "closed after {closed_after:?}"
    );
    assert_eq!(
        wait_metric(&s, "jinn_http_connections", 0.0, Duration::from_secs(2)),
        0.0
    );
}
