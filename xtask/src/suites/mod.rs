//! The registry of suites: every suite `cargo xtask validate` knows is listed in [`all`].
//! Each suite lives in its own module, named after the crate (or paper) it checks.

use crate::suite::Suite;

pub mod colt;
pub mod npu;
pub mod pasa;
pub mod sinkhorn;

/// Every registered suite, in report order.
#[must_use]
pub fn all() -> Vec<Suite> {
    vec![
        pasa::suite(),
        colt::suite(),
        sinkhorn::suite(),
        npu::suite(),
    ]
}
