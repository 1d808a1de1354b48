//! Giving freed heap back to the system. glibc keeps freed memory in its
//! arenas (one per thread that allocated) instead of returning it: after
//! start-up (module bytes read, hashed, validated on several threads) and
//! after a reload (unloaded modules' code freed with their engines, see
//! `crate::modules`), that memory would otherwise stay in the process's
//! resident set for good.

/// Returns free heap pages of every arena to the system (glibc only; other
/// allocators do it themselves or not at all).
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}
