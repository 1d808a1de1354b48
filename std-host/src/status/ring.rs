//! A ring buffer of fixed capacity: its slots are allocated once, when it
//! is made; pushing past the capacity overwrites the oldest entry, so what
//! the status page keeps never grows with the number of calls.

/// At most `N` entries; the oldest go first.
pub struct Ring<T, const N: usize> {
    slots: [Option<T>; N],
    /// Where the next push goes.
    next: usize,
    len: usize,
}

impl<T, const N: usize> Default for Ring<T, N> {
    fn default() -> Self {
        Self {
            slots: std::array::from_fn(|_| None),
            next: 0,
            len: 0,
        }
    }
}

impl<T, const N: usize> Ring<T, N> {
    /// Adds `item`, dropping the oldest entry when full.
    pub fn push(&mut self, item: T) {
        if N == 0 {
            return;
        }
        self.slots[self.next] = Some(item);
        self.next = (self.next + 1) % N;
        self.len = (self.len + 1).min(N);
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The newest entry.
    pub fn newest_mut(&mut self) -> Option<&mut T> {
        if self.len == 0 {
            return None;
        }
        self.slots[(self.next + N - 1) % N].as_mut()
    }

    /// Entries, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        let start = (self.next + N - self.len) % N.max(1);
        (0..self.len).filter_map(move |i| self.slots[(start + i) % N].as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_in_order_and_never_more_than_its_capacity() {
        let mut r: Ring<u32, 3> = Ring::default();
        assert!(r.is_empty());
        assert_eq!(r.newest_mut(), None);
        r.push(1);
        r.push(2);
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), [1, 2]);
        for i in 3..=10 {
            r.push(i);
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), [8, 9, 10]);
        assert_eq!(r.iter().rev().copied().collect::<Vec<_>>(), [10, 9, 8]);
        *r.newest_mut().unwrap() = 11;
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), [8, 9, 11]);
    }
}
