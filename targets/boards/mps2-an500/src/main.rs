//! Jinn on QEMU's mps2-an500: the functions in the emulated flash bank
//! answer HTTP on port 80 and MQTT messages, over the LAN9118 with DHCP
//! (QEMU's user-mode network: the device is 10.0.2.15, the host 10.0.2.2).
//! `jinn-qemu run` (or `cargo run --release` here) boots it with the
//! example functions.
#![no_std]
#![no_main]

use core::mem::MaybeUninit;

use embassy_executor::Spawner;
use embassy_net::StackResources;
use jinn_embassy::board::{Heap, Meter, StackGauge};
use jinn_embassy::http::HttpBuffers;
use jinn_embassy::mqtt::MqttBuffers;
use jinn_embassy::{Jinn, Policy, Resources};
use jinn_lan9118::{Lan9118, Mmio};
use jinn_mps2_an500::flash::DataFlash;
use jinn_mps2_an500::{clock, ethernet, fatal, info, seed, uart, unwrap, warn};
use static_cell::StaticCell;

/// Two HTTP workers: guests run one at a time, so while one worker waits
/// for a guest the other answers `/healthz` and the routes' errors; a third
/// would only let a third client wait, for 7.1 KB of static RAM (its
/// buffers and task).
const HTTP_WORKERS: usize = 2;
/// The heap blocks of the NUCLEO-H743ZI: what its AXI SRAM and D2 SRAM
/// leave free (memory.x holds the regions to those sizes).
const AXI_HEAP: usize = 440 * 1024;
const D2_HEAP: usize = 288 * 1024;

#[global_allocator]
static HEAP: Heap<2> = Heap::empty();
#[unsafe(link_section = ".uninit.heap")]
static mut AXI_BLOCK: [MaybeUninit<u8>; AXI_HEAP] = [MaybeUninit::uninit(); AXI_HEAP];
#[unsafe(link_section = ".sram123.heap")]
static mut D2_BLOCK: [MaybeUninit<u8>; D2_HEAP] = [MaybeUninit::uninit(); D2_HEAP];

/// Two 2 KiB slots per HTTP worker: TCP rx 1 KiB and tx 1 KiB in one, the
/// request (up to 2 KiB) in the other.
type HttpBuf = HttpBuffers<2048, 1024>;
/// TCP rx 1 KiB, tx 1 KiB, MQTT packets up to 2 KiB.
type MqttBuf = MqttBuffers<1024, 1024, 2048>;

jinn_embassy::board_tasks!(
    device: Lan9118<'static, Mmio>,
    flash: DataFlash,
    http_workers: HTTP_WORKERS,
    http: HttpBuf,
    mqtt: MqttBuf,
);

/// Public keys (Ed25519, 32 bytes: `jinn keygen`'s `.pub` decoded) whose
/// signatures this firmware accepts on modules; when there are some, the
/// device settings cannot add others. Empty: the settings' keys are used.
const TRUSTED_KEYS: &[[u8; 32]] = &[];
/// The least strict signature policy this firmware runs with (`Strict`
/// once TRUSTED_KEYS holds the release key); the settings may only raise it.
const SIGNATURE_POLICY: Policy = Policy::Off;

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    uart::start();
    clock::start();
    // Safety: the two blocks are reserved for the heap by the linker script,
    // handed over once, before the first allocation.
    unsafe {
        HEAP.init([
            ((&raw mut AXI_BLOCK) as usize, AXI_HEAP),
            ((&raw mut D2_BLOCK) as usize, D2_HEAP),
        ])
    };
    let seed = seed::seed().unwrap_or_else(|| {
        warn!("no seed from the host: every boot draws the same random numbers");
        [0x5A; 32]
    });

    static RESOURCES: StaticCell<Resources<DataFlash>> = StaticCell::new();
    let config = jinn_embassy::board::config(HEAP.largest_block(), SIGNATURE_POLICY, TRUSTED_KEYS);
    let jinn = match Jinn::start(
        RESOURCES.init(Resources::new()),
        DataFlash::take(),
        config,
        seed,
    ) {
        Ok(jinn) => jinn,
        Err(e) => fatal!("jinn: {}", e),
    };
    info!("heap in use after loading: {} bytes", HEAP.used());
    static METER: StaticCell<Meter<2>> = StaticCell::new();
    // Safety: the stack is cortex-m-rt's, painted at reset (`paint-stack`).
    let stack = unsafe { StackGauge::cortex_m_rt(cortex_m_rt::STACK_PAINT_VALUE) };
    jinn.observe_calls(METER.init(Meter::new(&HEAP, stack, clock::cycles)));

    let device = match ethernet::device([0x02, seed[0], seed[1], seed[2], seed[3], seed[4]]) {
        Ok(device) => device,
        Err(e) => fatal!("ethernet: {}", e),
    };
    static NET: StaticCell<StackResources<6>> = StaticCell::new();
    let net_seed = u64::from_le_bytes([
        seed[8], seed[9], seed[10], seed[11], seed[12], seed[13], seed[14], seed[15],
    ]);
    let (stack, runner) = embassy_net::new(
        device,
        embassy_net::Config::dhcpv4(Default::default()),
        NET.init(StackResources::new()),
        net_seed,
    );
    unwrap!(spawn_tasks(spawner, jinn, stack, runner));

    jinn_embassy::board::announce(jinn, stack).await;
}
