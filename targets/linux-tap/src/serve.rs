//! `jinn-tap serve`: the embassy code of the device, on Linux, over a TAP
//! device, with the flash in a file. Same tasks as the board firmware: the
//! network stack, four HTTP workers, the MQTT connection and the timers.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use embassy_executor::{Executor, Spawner};
use embassy_net::{Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_net_tuntap::TunTapDevice;
use embassy_time::{Duration, Instant};
use jinn_core::Outcome;
use jinn_core::signature::Policy;
use jinn_embassy::http::{self, HttpBuffers};
use jinn_embassy::mqtt::{self, MqttBuffers};
use jinn_embassy::{CallObserver, Config, Jinn, Resources};
use static_cell::StaticCell;

use crate::image::{Board, HostFlash};

/// HTTP workers: one may wait for a long function while the others answer.
pub const HTTP_WORKERS: usize = 4;

/// What `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeArgs {
    /// The flash file (made by `jinn-tap image`).
    pub flash: PathBuf,
    /// The TAP interface to attach to.
    pub tap: String,
    /// The device address.
    pub address: Ipv4Addr,
    /// Its prefix length.
    pub prefix: u8,
    /// The default gateway, if any.
    pub gateway: Option<Ipv4Addr>,
    /// The HTTP port.
    pub http_port: u16,
    /// Fuel per slice.
    pub slice_fuel: u64,
    /// Compiled modules kept in RAM (0: all).
    pub resident_modules: usize,
    /// The most heap the device may take, counted from its boot (what the
    /// runner held before — the flash file's copy, the TAP device — is not
    /// the device's): an allocation beyond it fails as on a board whose
    /// heap is that large, and after each call the heap's peak is logged
    /// (`heap: …`). Needs `jinn-tap`'s counting allocator. `None`: no cap,
    /// no log.
    pub heap_cap: Option<usize>,
    /// The firmware's signature policy.
    pub signature_policy: Policy,
    /// The firmware's trusted keys.
    pub trusted_keys: Vec<[u8; 32]>,
}

type Device = Jinn<HostFlash>;

/// Logs the device's heap after each call: `heap: call hello: 200, 51200 B
/// in use, peak 143360 B of 173184 B` (counted from `base`, what the
/// runner held at boot).
struct HeapLog {
    base: usize,
    cap: usize,
}

impl CallObserver for HeapLog {
    fn call_started(&self) {}

    fn call_ended(&self, function: &str, outcome: &Outcome) {
        let status = match &outcome.result {
            Ok(response) => response.status.to_string(),
            Err(e) => format!("{:?}", e.kind()),
        };
        info!(
            "heap: call {function}: {status}, {} B in use, peak {} B of {} B",
            jinn_heap_probe::current().saturating_sub(self.base),
            jinn_heap_probe::peak().saturating_sub(self.base),
            self.cap
        );
    }
}

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, TunTapDevice>) -> ! {
    runner.run().await
}

#[embassy_executor::task(pool_size = HTTP_WORKERS)]
async fn http_task(
    jinn: &'static Device,
    stack: Stack<'static>,
    worker: usize,
    buffers: &'static mut HttpBuffers,
) -> ! {
    http::serve(jinn, stack, worker, buffers).await
}

#[embassy_executor::task]
async fn mqtt_task(
    jinn: &'static Device,
    stack: Stack<'static>,
    buffers: &'static mut MqttBuffers,
) -> ! {
    mqtt::run(jinn, stack, buffers).await
}

#[embassy_executor::task]
async fn timer_task(jinn: &'static Device) -> ! {
    jinn_embassy::timer::run(jinn).await
}

fn random_seed() -> [u8; 32] {
    use std::io::Read;
    let mut seed = [0u8; 32];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut seed);
    }
    seed
}

fn fail(message: String) -> ! {
    error!("{message}");
    eprintln!("jinn-tap serve: {message}");
    std::process::exit(1)
}

fn start(spawner: Spawner, args: ServeArgs) {
    static RESOURCES: StaticCell<Resources<HostFlash>> = StaticCell::new();
    static NET: StaticCell<StackResources<8>> = StaticCell::new();
    static HTTP: StaticCell<[HttpBuffers; HTTP_WORKERS]> = StaticCell::new();
    static MQTT: StaticCell<MqttBuffers> = StaticCell::new();

    let board = Board::Host;
    let flash = HostFlash::open(&args.flash, board.capacity())
        .unwrap_or_else(|e| fail(format!("{}: {e}", args.flash.display())));
    let now_unix_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let config = Config {
        http_port: args.http_port,
        slice_fuel: args.slice_fuel,
        call_deadline: Duration::from_secs(30),
        unix_ns_at_boot: now_unix_ns.saturating_sub(Instant::now().as_micros() * 1000),
        layout: board.layout(),
        resident_modules: args.resident_modules,
        signature_policy: args.signature_policy,
        // A firmware's keys are in its flash image: `'static` for the run.
        trusted_keys: args.trusted_keys.clone().leak(),
        ..Config::default()
    };
    let seed = random_seed();
    let device =
        TunTapDevice::new(&args.tap).unwrap_or_else(|e| fail(format!("tap {}: {e}", args.tap)));
    let base = jinn_heap_probe::reset_peak();
    if let Some(cap) = args.heap_cap {
        jinn_heap_probe::set_cap(base.saturating_add(cap));
    }
    let jinn = Jinn::start(RESOURCES.init(Resources::new()), flash, config, seed)
        .unwrap_or_else(|e| fail(format!("boot: {e}")));
    if let Some(cap) = args.heap_cap {
        info!(
            "heap: boot, {} B in use, peak {} B of {cap} B",
            jinn_heap_probe::current().saturating_sub(base),
            jinn_heap_probe::peak().saturating_sub(base)
        );
        jinn.observe_calls(Box::leak(Box::new(HeapLog { base, cap })));
    }
    let o = args.address.octets();
    let net_config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(
            embassy_net::Ipv4Address::new(o[0], o[1], o[2], o[3]),
            args.prefix,
        ),
        gateway: args.gateway.map(|g| {
            let g = g.octets();
            embassy_net::Ipv4Address::new(g[0], g[1], g[2], g[3])
        }),
        dns_servers: heapless::Vec::new(),
    });
    let net_seed = u64::from_le_bytes(seed[..8].try_into().unwrap_or_default());
    let (stack, runner) = embassy_net::new(
        device,
        net_config,
        NET.init(StackResources::new()),
        net_seed ^ 0x5a5a_5a5a,
    );
    spawner.spawn(net_task(runner).unwrap_or_else(|e| fail(format!("spawn: {e:?}"))));
    for (worker, buffers) in HTTP
        .init([const { HttpBuffers::new() }; HTTP_WORKERS])
        .iter_mut()
        .enumerate()
    {
        spawner.spawn(
            http_task(jinn, stack, worker, buffers)
                .unwrap_or_else(|e| fail(format!("spawn: {e:?}"))),
        );
    }
    spawner.spawn(
        mqtt_task(jinn, stack, MQTT.init(MqttBuffers::new()))
            .unwrap_or_else(|e| fail(format!("spawn: {e:?}"))),
    );
    spawner.spawn(timer_task(jinn).unwrap_or_else(|e| fail(format!("spawn: {e:?}"))));
    info!(
        "serving on {}:{} ({} functions)",
        args.address,
        args.http_port,
        jinn.function_count()
    );
}

/// Runs the device forever.
pub fn serve(args: ServeArgs) -> ! {
    static EXECUTOR: StaticCell<Executor> = StaticCell::new();
    EXECUTOR
        .init(Executor::new())
        .run(|spawner| start(spawner, args))
}
