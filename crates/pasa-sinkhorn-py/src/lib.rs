//! `pasa_sinkhorn._native`: the compiled half of the Python package `pasa_sinkhorn`.
//!
//! A thin layer: one module per Python submodule (`ot` for `pasa_sinkhorn.ot`,
//! `attention` for `pasa_sinkhorn.attention`), plus `input` (reading NumPy arrays
//! once, checking shapes and dtypes before any work), `errors` (Rust errors as
//! Python exceptions) and `method` (the `method` names `ot` and `pairwise` share).
//! Every algorithm lives in `sinkhorn` or `pasa-core`; this crate only converts
//! arguments, releases the GIL around the solves, and converts results.
//! The Python modules in `python/pasa_sinkhorn/` wrap these functions with POT- and
//! SciPy-shaped signatures and the docstrings.

use pyo3::prelude::*;

mod attention;
mod errors;
mod input;
mod method;
mod ot;
mod pairwise;

/// The extension module, imported as `pasa_sinkhorn._native`.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    ot::register(m)?;
    attention::register(m)?;
    pairwise::register(m)?;
    Ok(())
}
