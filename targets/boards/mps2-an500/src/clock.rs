//! Time: embassy-time's driver on the two CMSDK APB timers, clocked by the
//! 25 MHz SYSCLK.
//!
//! TIMER0 counts down from 2³²−1 for ever; its interrupt at each wrap
//! extends it to 64 bits ([`cycles`]). TIMER1 is the alarm: loaded with the
//! ticks until the next timer of embassy's queue, it interrupts once then.
//! embassy-time runs at 1 MHz (its default): one embassy tick is 25 timer
//! ticks.

use core::cell::RefCell;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use core::task::Waker;

use critical_section::CriticalSection;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_time_driver::{Driver, TICK_HZ};
use embassy_time_queue_utils::Queue;

use crate::mmio::{read, write};
use crate::vectors::{Interrupt, unmask};

/// The timers' clock.
pub const SYSCLK_HZ: u64 = 25_000_000;
const PER_TICK: u64 = SYSCLK_HZ / TICK_HZ;
const _: () = assert!(
    SYSCLK_HZ.is_multiple_of(TICK_HZ),
    "embassy's tick rate must divide 25 MHz"
);

const TIMER0: usize = 0x4000_0000;
const TIMER1: usize = 0x4000_1000;
const CTRL: usize = 0x0;
const VALUE: usize = 0x4;
const RELOAD: usize = 0x8;
const INT: usize = 0xC;
const CTRL_ENABLE: u32 = 1 << 0;
const CTRL_IRQ: u32 = 1 << 3;
/// Longest alarm loaded at once; a later one is re-armed when this fires.
const LONGEST: u64 = 0xF000_0000;

struct Clock {
    ready: AtomicBool,
    /// TIMER0 wraps counted by its interrupt.
    wraps: AtomicU32,
    queue: Mutex<CriticalSectionRawMutex, RefCell<Queue>>,
}

embassy_time_driver::time_driver_impl!(static CLOCK: Clock = Clock {
    ready: AtomicBool::new(false),
    wraps: AtomicU32::new(0),
    queue: Mutex::new(RefCell::new(Queue::new())),
});

impl Clock {
    /// Timer ticks since [`start`].
    fn ticks(&self, _cs: CriticalSection<'_>) -> u64 {
        if !self.ready.load(Ordering::Acquire) {
            return 0;
        }
        let wraps = u64::from(self.wraps.load(Ordering::Relaxed));
        // Safety: TIMER0's registers, read only.
        let (value, wrapped) = unsafe {
            let value = read(TIMER0 + VALUE);
            if read(TIMER0 + INT) & 1 == 0 {
                (value, false)
            } else {
                // It wrapped and the interrupt has not counted it yet:
                // read again, after the wrap.
                (read(TIMER0 + VALUE), true)
            }
        };
        // The counter holds 0 for one tick after the wrap interrupt.
        let wraps = if wrapped && value != 0 {
            wraps + 1
        } else {
            wraps
        };
        (wraps << 32) + u64::from(u32::MAX - value)
    }

    /// Loads TIMER1 for the embassy tick `at`; `false` when it has passed.
    fn set_alarm(&self, cs: CriticalSection<'_>, at: u64) -> bool {
        // Safety: TIMER1 belongs to the clock.
        unsafe {
            write(TIMER1 + CTRL, 0);
            write(TIMER1 + INT, 1);
        }
        if at == u64::MAX {
            return true;
        }
        let now = self.ticks(cs);
        let target = at.saturating_mul(PER_TICK);
        if target <= now {
            return false;
        }
        let wait = (target - now).min(LONGEST) as u32;
        // Safety: as above; RELOAD also loads the counter.
        unsafe {
            write(TIMER1 + RELOAD, wait);
            write(TIMER1 + CTRL, CTRL_ENABLE | CTRL_IRQ);
        }
        true
    }

    /// Wakes what is due and arms the alarm for the next.
    fn rearm(&self, cs: CriticalSection<'_>) {
        let mut queue = self.queue.borrow(cs).borrow_mut();
        let mut next = queue.next_expiration(self.ticks(cs) / PER_TICK);
        while !self.set_alarm(cs, next) {
            next = queue.next_expiration(self.ticks(cs) / PER_TICK);
        }
    }
}

impl Driver for Clock {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.ticks(cs) / PER_TICK)
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let changed = self.queue.borrow(cs).borrow_mut().schedule_wake(at, waker);
            if changed {
                self.rearm(cs);
            }
        });
    }
}

/// Starts both timers and their interrupts. Call once, first thing.
pub fn start() {
    // Safety: the timers are the clock's alone; started once.
    unsafe {
        write(TIMER0 + CTRL, 0);
        write(TIMER0 + INT, 1);
        write(TIMER0 + RELOAD, u32::MAX);
        write(TIMER0 + CTRL, CTRL_ENABLE | CTRL_IRQ);
        write(TIMER1 + CTRL, 0);
        write(TIMER1 + INT, 1);
    }
    CLOCK.ready.store(true, Ordering::Release);
    unmask(Interrupt::Timer0);
    unmask(Interrupt::Timer1);
}

/// Timer ticks (25 MHz) since [`start`], wrapping every 172 s: the call
/// meter's clock. Under `qemu-system-arm -icount shift=0` one instruction
/// takes 1 ns of emulated time, so a tick is 40 instructions.
pub fn cycles() -> u32 {
    critical_section::with(|cs| CLOCK.ticks(cs) as u32)
}

/// TIMER0 wrapped.
pub(crate) fn on_timer0() {
    critical_section::with(|_| {
        // Safety: acknowledges TIMER0's interrupt.
        unsafe { write(TIMER0 + INT, 1) };
        CLOCK.wraps.fetch_add(1, Ordering::Relaxed);
    });
}

/// TIMER1: an alarm is due.
pub(crate) fn on_timer1() {
    critical_section::with(|cs| CLOCK.rearm(cs));
}
