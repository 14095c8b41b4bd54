//! Reading NumPy arguments once, before any work.
//!
//! A C-contiguous array of the dtype a kernel reads (float64 for the transport solvers,
//! float16 for attention) is borrowed as it is; any other real array or sequence is
//! converted once (by NumPy for float64, by `pasa-core`'s rounding for float16). Complex,
//! string and object arrays are a `TypeError`, never a silent cast. Where the Rust API
//! takes slices (`w1_line`, `wasserstein_1d`) the borrowed data is passed as it lies;
//! where it takes ownership (`sinkhorn::Problem`, `Support1d::points`,
//! `pasa_core::Tensor`) it is copied once (`docs/python.md` measures that copy).

use std::borrow::Cow;

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
    let ob = &aligned(ob)?;
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

/// A one-dimensional float64 argument (samples, weights, a support or a grid axis).
///
/// # Errors
/// As [`float64`], and `ValueError` when it is not one-dimensional.
pub(crate) fn vector<'py>(ob: &Bound<'py, PyAny>, name: &str) -> PyResult<Float64<'py>> {
    let array = float64(ob, name)?;
    if array.ndim() != 1 {
        return Err(PyValueError::new_err(format!(
            "{name} must be one-dimensional, got shape {:?}",
            array.shape()
        )));
    }
    Ok(array)
}

/// A 1D float64 argument copied into the `Vec` that `sinkhorn::Support1d::points` owns.
///
/// # Errors
/// As [`vector`].
pub(crate) fn axis(ob: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<f64>> {
    Ok(elements(&vector(ob, name)?.as_array()).into_owned())
}

/// The elements of `view` in row-major order: borrowed when they are contiguous in that
/// order, else gathered once.
pub(crate) fn elements<'a, T: Copy>(view: &ArrayViewD<'a, T>) -> Cow<'a, [T]> {
    view.to_slice()
        .map_or_else(|| Cow::Owned(view.iter().copied().collect()), Cow::Borrowed)
}

/// The elements of `view` in row-major order in a new `Vec` (one `memcpy` when
/// contiguous).
pub(crate) fn to_vec<T: Copy>(view: &ArrayViewD<'_, T>) -> Vec<T> {
    elements(view).into_owned()
}

/// Histogram `j` of `view`: the whole array when it is not a batch, else its `j`-th
/// slice along the last axis (histograms in columns, as POT takes them); borrowed when
/// contiguous (a single histogram, or a column of a Fortran-ordered batch).
pub(crate) fn column<'a>(view: &ArrayViewD<'a, f64>, batched: bool, j: usize) -> Cow<'a, [f64]> {
    if batched {
        let last = Axis(view.ndim() - 1);
        elements(&view.clone().index_axis_move(last, j))
    } else {
        elements(view)
    }
}

/// An attention operand as FP16 storage and its shape: float16 read as it is, float32
/// and float64 rounded once to nearest (values beyond 65504 become infinite, which
/// `pasa_core::AttentionInputs::new` then reports).
///
/// # Errors
/// `TypeError` for anything but a float16/float32/float64 NumPy array.
pub(crate) fn float16(ob: &Bound<'_, PyAny>, name: &str) -> PyResult<(Vec<f16>, Vec<usize>)> {
    let ob = &aligned(ob)?;
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
    Err(not_float(ob, name))
}

/// An attention operand's values widened exactly to f64, and its shape: the source values
/// `pasa_core::SourceInputs` holds (float32 beyond 65504 stays finite here; the report
/// shows its overflow in the FP16 cast).
///
/// # Errors
/// `TypeError` for anything but a float16/float32/float64 NumPy array.
pub(crate) fn source_f64(ob: &Bound<'_, PyAny>, name: &str) -> PyResult<(Vec<f64>, Vec<usize>)> {
    fn widened<T: numpy::Element + Copy>(
        a: &PyReadonlyArrayDyn<'_, T>,
        widen: fn(T) -> f64,
    ) -> (Vec<f64>, Vec<usize>) {
        let view = a.as_array();
        (
            view.iter().map(|&x| widen(x)).collect(),
            view.shape().to_vec(),
        )
    }
    let ob = &aligned(ob)?;
    if let Ok(a) = ob.cast::<PyArrayDyn<f64>>() {
        let a = a.readonly();
        let view = a.as_array();
        return Ok((to_vec(&view), view.shape().to_vec()));
    }
    if let Ok(a) = ob.cast::<PyArrayDyn<f32>>() {
        return Ok(widened(&a.readonly(), f64::from));
    }
    if let Ok(a) = ob.cast::<PyArrayDyn<f16>>() {
        return Ok(widened(&a.readonly(), f16::to_f64));
    }
    Err(not_float(ob, name))
}

/// `ob`, or an aligned copy of it when it is a NumPy array at an address its dtype does not
/// align to (an array unpickled from a message buffer, as on a Dask worker, or a view into
/// packed bytes): the views the kernels read require alignment, and reading such an array
/// in place would panic.
///
/// # Errors
/// NumPy's own, when the `flags` or `numpy.require` call fails.
fn aligned<'py>(ob: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if ob.cast::<PyUntypedArray>().is_ok()
        && !ob.getattr("flags")?.getattr("aligned")?.extract::<bool>()?
    {
        let py = ob.py();
        return py
            .import("numpy")?
            .call_method1("require", (ob, py.None(), vec!["A"]));
    }
    Ok(ob.clone())
}

fn not_float(ob: &Bound<'_, PyAny>, name: &str) -> PyErr {
    let what = ob.cast::<PyUntypedArray>().map_or_else(
        |_| format!("a {}", ob.get_type()),
        |a| format!("an array of dtype {}", a.dtype()),
    );
    PyTypeError::new_err(format!(
        "{name} is {what}; give a NumPy float16, float32 or float64 array"
    ))
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
