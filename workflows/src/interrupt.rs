//! Pausing a study on request. The binary installs SIGINT and SIGTERM handlers (signal-hook)
//! that set [`flag`], the same flag as [`request`]; the step runner checks [`requested`] before each step, so a study stops between
//! steps with everything done so far journaled, and resumes from there when run again. The
//! panel's model calls also watch it (`engine::run_activities_until`), so a pause does not wait
//! for calls in flight, nor for a managed model server to load.

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

/// The flag [`request`] sets, for a signal handler to set directly (`signal_hook::flag`).
pub fn flag() -> &'static AtomicBool {
    &REQUESTED
}
