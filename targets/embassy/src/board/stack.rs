//! [`StackGauge`]: how deep the stack has been, read from the paint that
//! cortex-m-rt's `paint-stack` feature lays on it before `main`.
#![allow(unsafe_code)]

/// The stack between two addresses, painted with a known word at reset.
#[derive(Debug, Clone, Copy)]
pub struct StackGauge {
    bottom: usize,
    top: usize,
    paint: u32,
}

impl StackGauge {
    /// The stack from `bottom` (lowest address) up to `top` (where it
    /// starts, exclusive), painted with `paint`.
    ///
    /// # Safety
    ///
    /// `bottom..top` must be readable memory, word-aligned, holding the
    /// stack (cortex-m-rt: `_stack_end.._stack_start`, painted with
    /// `cortex_m_rt::STACK_PAINT_VALUE`).
    pub const unsafe fn new(bottom: usize, top: usize, paint: u32) -> Self {
        Self { bottom, top, paint }
    }

    /// The stack cortex-m-rt sets up, between the linker symbols
    /// `_stack_end` and `_stack_start`, painted with `paint` at reset
    /// (cortex-m-rt's `paint-stack` feature, `cortex_m_rt::STACK_PAINT_VALUE`).
    ///
    /// # Safety
    ///
    /// The firmware links with cortex-m-rt's `link.x` and paints the stack.
    #[cfg(target_os = "none")]
    pub unsafe fn cortex_m_rt(paint: u32) -> Self {
        unsafe extern "C" {
            static _stack_end: u32;
            static _stack_start: u32;
        }
        Self {
            bottom: (&raw const _stack_end) as usize,
            top: (&raw const _stack_start) as usize,
            paint,
        }
    }

    /// Bytes of stack.
    pub const fn size(&self) -> usize {
        self.top - self.bottom
    }

    /// Most bytes of stack ever used since reset: from the top down to the
    /// lowest word that no longer holds the paint.
    pub fn high_water(&self) -> usize {
        let mut at = self.bottom;
        // Safety: `new`'s contract: every word of `bottom..top` is readable.
        while at < self.top && unsafe { core::ptr::read_volatile(at as *const u32) } == self.paint {
            at += 4;
        }
        self.top - at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_lowest_scrubbed_word() {
        let mut stack = vec![0xCCCC_CCCCu32; 64];
        let range = stack.as_ptr_range();
        // Safety: the array is readable for the whole test.
        let gauge =
            unsafe { StackGauge::new(range.start as usize, range.end as usize, 0xCCCC_CCCC) };
        assert_eq!(gauge.size(), 256);
        assert_eq!(gauge.high_water(), 0);
        stack[60] = 1;
        assert_eq!(gauge.high_water(), 16);
        stack[3] = 0;
        assert_eq!(gauge.high_water(), 244);
    }
}
