//! Reading NumPy arguments once, before any work.
//!
//! A C-contiguous array of the dtype a kernel reads (float64 for the transport solvers,
//! float16 for attention) is borrowed as it is; any other real array or sequence is
//! converted once (by NumPy for float64, by `pasa-core`'s rounding for float16). Complex,
//! string and object arrays are a `TypeError`, never a silent cast.

use half::f16;
use numpy::ndarray::{ArrayViewD, Axis};
use numpy::{
    AllowTypeChange, PyArrayDescrMethods, PyArrayDyn, PyArrayLikeDyn, PyArrayMethods,
    PyReadonlyArrayDyn, PyUntypedArray, PyUntypedArrayMethods,
};
use pasa_core::round::{f32_slice_to_f16, f64_slice_to_f16};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// A float64 view of an argument (see the module doc for when it is a copy).
pub(crate) type Float64<'py> = PyArrayLikeDyn<'py, f64, AllowTypeChange>;

/// `ob` as float64: borrowed when it already is a float64 array, else converted once by
/// `numpy.asarray` (bool, integer and other float dtypes, Python sequences).
///
/// # Errors
/// `TypeError` for a non-real dtype; NumPy's own error for what it cannot convert.
pub(crate) fn float64<'py>(ob: &Bound<'py, PyAny>, name: &str) -> PyResult<Float64<'py>> {
    if let Ok(array) = ob.cast::<PyUntypedArray>() {
        let dtype = array.dtype();
        if !matches!(dtype.kind(), b'b' | b'i' | b'u' | b'f') {
            return Err(PyTypeError::new_err(format!(
                "{name} has dtype {dtype}; give an array of real numbers"
            )));
        }
    }
    ob.extract()
}

/// A 1D float64 argument (a support or a grid axis) copied into the `Vec` that
/// `sinkhorn::Support1d::points` owns.
///
/// # Errors
/// As [`float64`], and `ValueError` when it is not one-dimensional.
pub(crate) fn axis(ob: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<f64>> {
    let array = float64(ob, name)?;
    let view = array.as_array();
    if view.ndim() != 1 {
        return Err(PyValueError::new_err(format!(
            "{name} must be one-dimensional, got shape {:?}",
            view.shape()
        )));
    }
    Ok(to_vec(&view))
}

/// The elements of `view` in row-major order: one `memcpy` when it is contiguous.
pub(crate) fn to_vec<T: Copy>(view: &ArrayViewD<'_, T>) -> Vec<T> {
    view.as_slice()
        .map_or_else(|| view.iter().copied().collect(), <[T]>::to_vec)
}

/// Histogram `j` of `view`: the whole array when it is not a batch, else its `j`-th
/// slice along the last axis (histograms in columns, as POT takes them).
pub(crate) fn column(view: &ArrayViewD<'_, f64>, batched: bool, j: usize) -> Vec<f64> {
    if batched {
        to_vec(&view.index_axis(Axis(view.ndim() - 1), j))
    } else {
        to_vec(view)
    }
}

/// An attention operand as FP16 storage and its shape: float16 read as it is, float32
/// and float64 rounded once to nearest (values beyond 65504 become infinite, which
/// `pasa_core::AttentionInputs::new` then reports).
///
/// # Errors
/// `TypeError` for anything but a float16/float32/float64 NumPy array.
pub(crate) fn float16(ob: &Bound<'_, PyAny>, name: &str) -> PyResult<(Vec<f16>, Vec<usize>)> {
    if let Ok(a) = ob.cast::<PyArrayDyn<f16>>() {
        let a = a.readonly();
        let view = a.as_array();
        return Ok((to_vec(&view), view.shape().to_vec()));
    }
    if let Ok(a) = ob.cast::<PyArrayDyn<f32>>() {
        return Ok(rounded(&a.readonly(), f32_slice_to_f16));
    }
    if let Ok(a) = ob.cast::<PyArrayDyn<f64>>() {
        return Ok(rounded(&a.readonly(), f64_slice_to_f16));
    }
    let what = ob.cast::<PyUntypedArray>().map_or_else(
        |_| format!("a {}", ob.get_type()),
        |a| format!("an array of dtype {}", a.dtype()),
    );
    Err(PyTypeError::new_err(format!(
        "{name} is {what}; give a NumPy float16, float32 or float64 array"
    )))
}

fn rounded<T: numpy::Element + Copy>(
    a: &PyReadonlyArrayDyn<'_, T>,
    round: fn(&mut [f16], &[T]),
) -> (Vec<f16>, Vec<usize>) {
    let view = a.as_array();
    let mut dst = vec![f16::ZERO; view.len()];
    match view.as_slice() {
        Some(src) => round(&mut dst, src),
        None => round(&mut dst, &to_vec(&view)),
    }
    (dst, view.shape().to_vec())
}
