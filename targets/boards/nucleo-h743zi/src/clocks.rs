//! The clock tree (400 MHz system clock, HSI48 for the RNG) and the CPU's
//! cycle counter.

use cortex_m::peripheral::{DCB, DWT};

/// 400 MHz from the HSI through PLL1, HSI48 for the RNG.
pub fn clocks() -> embassy_stm32::Config {
    use embassy_stm32::rcc::*;
    let mut config = embassy_stm32::Config::default();
    config.rcc.hsi = Some(HSIPrescaler::DIV1);
    config.rcc.csi = true;
    config.rcc.hsi48 = Some(Default::default()); // RNG
    config.rcc.pll1 = Some(Pll {
        source: PllSource::HSI,
        prediv: PllPreDiv::DIV4,
        mul: PllMul::MUL50,
        fracn: None,
        divp: Some(PllDiv::DIV2), // 400 MHz
        divq: None,
        divr: None,
    });
    config.rcc.sys = Sysclk::PLL1_P;
    config.rcc.ahb_pre = AHBPrescaler::DIV2;
    config.rcc.apb1_pre = APBPrescaler::DIV2;
    config.rcc.apb2_pre = APBPrescaler::DIV2;
    config.rcc.apb3_pre = APBPrescaler::DIV2;
    config.rcc.apb4_pre = APBPrescaler::DIV2;
    config.rcc.voltage_scale = VoltageScale::Scale1;
    config
}

/// Starts the DWT cycle counter (CPU cycles, 400 MHz).
pub fn start_cycle_counter(mut dcb: DCB, mut dwt: DWT) {
    dcb.enable_trace();
    DWT::unlock();
    dwt.enable_cycle_counter();
}

/// CPU cycles, wrapping every 10.7 s (the call meter's clock).
pub fn cycles() -> u32 {
    DWT::cycle_count()
}
