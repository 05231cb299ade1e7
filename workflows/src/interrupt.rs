//! Pausing a study on request. The binary installs a SIGINT handler that calls [`request`];
//! the step runner checks [`requested`] before each step, so a study stops between steps with
//! everything done so far journaled, and resumes from there when run again.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Asks running studies to pause before their next step. Async-signal-safe (one atomic store).
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Whether a pause has been asked for.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
