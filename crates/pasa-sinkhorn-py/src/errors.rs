//! Rust errors as Python exceptions: bad input is `ValueError` (`TypeError` for a dtype
//! that is not a real number), a solve that did not converge is `ConvergenceError`, a
//! size the kernels cannot allocate is `SizeLimitError`; every message is the Rust one.

use pasa_core::PasaError;
use pyo3::create_exception;
use pyo3::exceptions::{PyFileNotFoundError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use sinkhorn::SinkhornError;

create_exception!(
    pasa_sinkhorn,
    ConvergenceError,
    PyRuntimeError,
    "A solve stopped without meeting its tolerance (iteration cap reached) or broke down \
     numerically; no value is returned."
);
create_exception!(
    pasa_sinkhorn,
    SizeLimitError,
    PyValueError,
    "The problem is larger than the kernels can allocate (e.g. an attention block size whose \
     tiles exceed 2^30 elements)."
);

/// Add the exception types to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ConvergenceError", py.get_type::<ConvergenceError>())?;
    m.add("SizeLimitError", py.get_type::<SizeLimitError>())?;
    Ok(())
}

/// A `sinkhorn` error, its message prefixed by `context` (e.g. which histogram of a batch).
pub(crate) fn sinkhorn_error(e: &SinkhornError, context: &str) -> PyErr {
    let message = format!("{context}{e}");
    match e {
        SinkhornError::KernelUnderflow { .. }
        | SinkhornError::F32ScalingOutOfRange { .. }
        | SinkhornError::NonFinite { .. }
        | SinkhornError::NotConverged { .. }
        | SinkhornError::Uncertified { .. } => ConvergenceError::new_err(message),
        SinkhornError::TooLarge { .. } => SizeLimitError::new_err(message),
        SinkhornError::Colt(_) => PyRuntimeError::new_err(message),
        // Every other variant today is a bad input or option; a variant added later shows
        // as a RuntimeError until it is classified here.
        SinkhornError::Empty { .. }
        | SinkhornError::LengthMismatch { .. }
        | SinkhornError::NonFiniteCoordinate { .. }
        | SinkhornError::UnsortedSupport { .. }
        | SinkhornError::InvalidStep { .. }
        | SinkhornError::InvalidMass { .. }
        | SinkhornError::ZeroMass { .. }
        | SinkhornError::UnequalMass { .. }
        | SinkhornError::InvalidParameter { .. }
        | SinkhornError::InvalidOption { .. }
        | SinkhornError::InvalidWarmStart { .. }
        | SinkhornError::Unsupported { .. }
        | SinkhornError::EpsTooSmall { .. }
        | SinkhornError::MassOverflow { .. }
        | SinkhornError::DegenerateSpacing { .. } => PyValueError::new_err(message),
        _ => PyRuntimeError::new_err(message),
    }
}

/// A `pasa-core` error.
pub(crate) fn pasa_error(e: &PasaError) -> PyErr {
    let message = e.to_string();
    match e {
        PasaError::BlockTooLarge { .. } => SizeLimitError::new_err(message),
        PasaError::Load { .. } => PyValueError::new_err(message),
        PasaError::DataLength { .. }
        | PasaError::ShapeMismatch { .. }
        | PasaError::HeadsDoNotDivide { .. }
        | PasaError::EmptyDimension { .. }
        | PasaError::NonFiniteInput { .. }
        | PasaError::ZeroBlockSize { .. }
        | PasaError::NonFiniteScale { .. }
        | PasaError::BetaOutOfRange { .. }
        | PasaError::CausalRowsWithoutKeys { .. }
        | PasaError::UnsupportedDtype { .. }
        | PasaError::UnsupportedRank { .. } => PyValueError::new_err(message),
        _ => PyRuntimeError::new_err(message),
    }
}

/// `FileNotFoundError` for a path that does not exist (checked before a loader runs, so
/// that Python code can catch the usual exception).
pub(crate) fn file_not_found(path: &str) -> PyErr {
    PyFileNotFoundError::new_err(format!("no such file: {path}"))
}
