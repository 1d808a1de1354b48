//! Jinn on a NUCLEO-H743ZI(2): the functions in flash bank 2 answer HTTP on
//! port 80 and MQTT messages, over the on-board Ethernet (LAN8742A, RMII)
//! with DHCP. Flash the functions with `jinn-tap image --board nucleo-h743zi`
//! and probe-rs (see targets/README.md), then `cargo run --release`.
#![no_std]
#![no_main]

use core::mem::MaybeUninit;

use embassy_executor::Spawner;
use embassy_net::StackResources;
use embassy_stm32::eth::{Ethernet, GenericPhy, PacketQueue, Sma};
use embassy_stm32::flash::{Bank2Region, Blocking, Flash};
use embassy_stm32::peripherals::{ETH, ETH_SMA, RNG};
use embassy_stm32::rng::{self, Rng};
use embassy_stm32::{bind_interrupts, eth};
use jinn_embassy::board::{Heap, Meter, StackGauge};
use jinn_embassy::http::HttpBuffers;
use jinn_embassy::mqtt::MqttBuffers;
use jinn_embassy::{Jinn, Policy, Resources};
use jinn_nucleo_h743zi::{cycles, fatal, info, start_cycle_counter, unwrap};
use static_cell::StaticCell;
use {defmt_rtt as _, panic_probe as _};

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler;
    RNG => rng::InterruptHandler<RNG>;
});

/// Two HTTP workers: guests run one at a time, so while one worker waits
/// for a guest the other answers `/healthz` and the routes' errors; a third
/// would only let a third client wait, for 7.1 KB of static RAM (its
/// buffers and task).
const HTTP_WORKERS: usize = 2;
const AXI_HEAP: usize = 440 * 1024;
const D2_HEAP: usize = 288 * 1024;

#[global_allocator]
static HEAP: Heap<2> = Heap::empty();
#[unsafe(link_section = ".uninit.heap")]
static mut AXI_BLOCK: [MaybeUninit<u8>; AXI_HEAP] = [MaybeUninit::uninit(); AXI_HEAP];
#[unsafe(link_section = ".sram123.heap")]
static mut D2_BLOCK: [MaybeUninit<u8>; D2_HEAP] = [MaybeUninit::uninit(); D2_HEAP];

type EthDevice = Ethernet<'static, ETH, GenericPhy<Sma<'static, ETH_SMA>>>;
/// Two 2 KiB slots per HTTP worker: TCP rx 1 KiB and tx 1 KiB in one, the
/// request (up to 2 KiB) in the other.
type HttpBuf = HttpBuffers<2048, 1024>;
/// TCP rx 1 KiB, tx 1 KiB, MQTT packets up to 2 KiB.
type MqttBuf = MqttBuffers<1024, 1024, 2048>;
type DataFlash = Bank2Region<'static, Blocking>;

jinn_embassy::board_tasks!(
    device: EthDevice,
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
    let p = embassy_stm32::init(jinn_nucleo_h743zi::clocks());
    // D2 SRAM1..3 hold the second heap block: clock them.
    embassy_stm32::pac::RCC.ahb2enr().modify(|w| {
        w.set_sram1en(true);
        w.set_sram2en(true);
        w.set_sram3en(true);
    });
    // Safety: the two blocks are reserved for the heap by the linker script,
    // handed over once, before the first allocation.
    unsafe {
        HEAP.init([
            ((&raw mut AXI_BLOCK) as usize, AXI_HEAP),
            ((&raw mut D2_BLOCK) as usize, D2_HEAP),
        ])
    };
    // Safety: cortex-m's peripherals are taken once, here; the core ones
    // embassy-stm32 uses (SysTick, NVIC) are not touched by the cycle counter.
    let core = unsafe { cortex_m::Peripherals::steal() };
    start_cycle_counter(core.DCB, core.DWT);

    let mut rng = Rng::new(p.RNG, Irqs);
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let uid = embassy_stm32::uid::uid();
    let mac = [0x02, uid[0], uid[1], uid[2], uid[3], uid[4]];

    static RESOURCES: StaticCell<Resources<DataFlash>> = StaticCell::new();
    let flash = Flash::new_blocking(p.FLASH)
        .into_blocking_regions()
        .bank2_region;
    let config = jinn_embassy::board::config(HEAP.largest_block(), SIGNATURE_POLICY, TRUSTED_KEYS);
    let jinn = match Jinn::start(RESOURCES.init(Resources::new()), flash, config, seed) {
        Ok(jinn) => jinn,
        Err(e) => fatal!("jinn: {}", e),
    };
    info!("heap in use after loading: {} bytes", HEAP.used());
    static METER: StaticCell<Meter<2>> = StaticCell::new();
    // Safety: the stack is cortex-m-rt's, painted at reset (`paint-stack`).
    let stack = unsafe { StackGauge::cortex_m_rt(cortex_m_rt::STACK_PAINT_VALUE) };
    jinn.observe_calls(METER.init(Meter::new(&HEAP, stack, cycles)));

    static PACKETS: StaticCell<PacketQueue<4, 4>> = StaticCell::new();
    let device = Ethernet::new(
        PACKETS.init(PacketQueue::new()),
        p.ETH,
        Irqs,
        p.PA1,
        p.PA7,
        p.PC4,
        p.PC5,
        p.PG13,
        p.PB13,
        p.PG11,
        mac,
        p.ETH_SMA,
        p.PA2,
        p.PC1,
    );
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
