//! `pasa_sinkhorn.distributed`'s compiled half: distance matrices over a collection of
//! histograms, on `sinkhorn::batch` (`pdist`, `cdist`), with the GIL released.
//!
//! Histograms are rows here, as in SciPy's `pdist`/`cdist`: shape `(k, n)` on a line,
//! `(k, n0, n1)` on a grid. Every row is validated (`sinkhorn::batch::Histograms`) before
//! any solve, and a bad one is a `ValueError` naming its set and row index. `threads`
//! runs the solves on a rayon pool of that many threads (a Dask task uses one, so that a
//! worker's thread count is its core count); results are bit for bit the same for any
//! value.

use std::borrow::Cow;

use numpy::{PyArray1, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use sinkhorn::batch::{Histograms, PairCost, cdist, pdist};
use sinkhorn::{Geometry, Sinkhorn, SinkhornError, SinkhornParams};

use crate::errors::sinkhorn_error;
use crate::input::{Float64, float64};
use crate::method::{Method, Reader};
use crate::ot::geometry;

/// Add this module's functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pairwise_pdist, m)?)?;
    m.add_function(wrap_pyfunction!(pairwise_cdist, m)?)?;
    m.add_function(wrap_pyfunction!(pairwise_check, m)?)?;
    m.add("PAIRWISE_METHODS", Reader::Pairwise.names())?;
    Ok(())
}

/// The solver of a `method` (exact W1 for `None`) with its `reg`, validated.
fn solver(method: &str, reg: Option<f64>) -> PyResult<Option<Sinkhorn>> {
    let domain = match Reader::Pairwise.method(method)? {
        Method::Exact => None,
        Method::Fs1(domain) => Some(domain),
        Method::Ipot => unreachable!("`method::METHODS` gives pairwise no IPOT method"),
    };
    match (domain, reg) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(PyValueError::new_err(
            "reg is only used by the Sinkhorn methods; leave it out for method=\"emd\"",
        )),
        (Some(_), None) => Err(PyValueError::new_err(format!(
            "method {method:?} needs reg (POT's absolute entropic regularisation)"
        ))),
        (Some(domain), Some(reg)) => {
            let params = SinkhornParams {
                domain,
                ..SinkhornParams::with_reg(reg)
            };
            params.validate().map_err(|e| sinkhorn_error(&e, ""))?;
            Ok(Some(Sinkhorn::new(params)))
        }
    }
}

/// A set of histograms as read from Python: the array and its rows' shape.
struct Rows<'py> {
    name: &'static str,
    array: Float64<'py>,
}

impl<'py> Rows<'py> {
    fn read(ob: &Bound<'py, PyAny>, name: &'static str) -> PyResult<Self> {
        let array = float64(ob, name)?;
        if !matches!(array.ndim(), 2 | 3) {
            return Err(PyValueError::new_err(format!(
                "{name} has shape {:?}; expected (k, n) histograms on a line or (k, n0, n1) \
                 on a grid, one histogram per row",
                array.shape()
            )));
        }
        Ok(Rows { name, array })
    }

    fn hist_shape(&self) -> &[usize] {
        &self.array.shape()[1..]
    }

    /// The data, row-major (borrowed when the array is C-contiguous).
    fn data(&self) -> Cow<'_, [f64]> {
        let view = self.array.as_array();
        match view.to_slice() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(view.iter().copied().collect()),
        }
    }
}

/// The geometry of `a`'s histograms (and `b`'s, which must have the same shape).
fn read_geometry(
    a: &Rows<'_>,
    b: Option<&Rows<'_>>,
    x: Option<&Bound<'_, PyAny>>,
    grid: Option<&Bound<'_, PyAny>>,
) -> PyResult<Geometry> {
    if let Some(b) = b.filter(|b| a.hist_shape() != b.hist_shape()) {
        return Err(PyValueError::new_err(format!(
            "{} and {} hold histograms of shapes {:?} and {:?}; they must be equal",
            a.name,
            b.name,
            a.hist_shape(),
            b.hist_shape()
        )));
    }
    if x.is_some() && grid.is_some() {
        return Err(PyValueError::new_err(
            "give either x (a 1D support) or grid (two axes), not both",
        ));
    }
    if (x.is_some() && a.hist_shape().len() != 1) || (grid.is_some() && a.hist_shape().len() != 2) {
        return Err(PyValueError::new_err(format!(
            "{} has shape {:?}: x needs (k, n) histograms, grid needs (k, n0, n1)",
            a.name,
            a.array.shape()
        )));
    }
    geometry(a.hist_shape(), x, grid)
}

/// A batch error as a Python exception naming the set and row (or the pair).
fn batch_error(e: SinkhornError, a: &str, b: &str) -> PyErr {
    match e {
        SinkhornError::InvalidHistogram { row, error } => {
            sinkhorn_error(&error, &format!("{a}[{row}] is not a valid histogram: "))
        }
        SinkhornError::PairFailed { row, col, error } => sinkhorn_error(
            &error,
            &format!("the problem between {a}[{row}] and {b}[{col}] failed: "),
        ),
        e => sinkhorn_error(&e, ""),
    }
}

/// `f` on a rayon pool of `threads` threads (the global pool when `None`).
fn on_threads<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> PyResult<T> {
    match threads {
        None => Ok(f()),
        Some(0) => Err(PyValueError::new_err("threads = 0; give at least 1")),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| PyValueError::new_err(format!("cannot start {n} threads: {e}")))?;
            Ok(pool.install(f))
        }
    }
}

/// Validate `histograms` (and `other`) and the options without solving anything: the
/// fail-fast check `distributed.pairwise` runs before any cluster work.
#[pyfunction]
#[pyo3(signature = (histograms, other=None, *, x=None, grid=None, method="emd", reg=None))]
fn pairwise_check(
    py: Python<'_>,
    histograms: &Bound<'_, PyAny>,
    other: Option<&Bound<'_, PyAny>>,
    x: Option<&Bound<'_, PyAny>>,
    grid: Option<&Bound<'_, PyAny>>,
    method: &str,
    reg: Option<f64>,
) -> PyResult<()> {
    solver(method, reg)?;
    let a = Rows::read(histograms, "histograms")?;
    let b = other.map(|o| Rows::read(o, "other")).transpose()?;
    let g = read_geometry(&a, b.as_ref(), x, grid)?;
    let (da, db) = (a.data(), b.as_ref().map(Rows::data));
    let checked = py.detach(|| {
        let ha = Histograms::new(&g, &da).map_err(|e| tag(e, Set::A))?;
        if let Some(db) = &db {
            let hb = Histograms::new(&g, db).map_err(|e| tag(e, Set::B))?;
            ha.check_compatible(&hb).map_err(|e| tag(e, Set::B))?;
        }
        Ok(())
    });
    checked.map_err(|(e, set)| set_error(e, set))
}

/// SciPy `pdist` order: the condensed matrix of costs between the rows of `histograms`.
#[pyfunction]
#[pyo3(signature = (histograms, *, x=None, grid=None, method="emd", reg=None, threads=None))]
#[allow(clippy::too_many_arguments)] // distributed.pairwise's keywords, one each
fn pairwise_pdist<'py>(
    py: Python<'py>,
    histograms: &Bound<'py, PyAny>,
    x: Option<&Bound<'py, PyAny>>,
    grid: Option<&Bound<'py, PyAny>>,
    method: &str,
    reg: Option<f64>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let solver = solver(method, reg)?;
    let a = Rows::read(histograms, "histograms")?;
    let g = read_geometry(&a, None, x, grid)?;
    let data = a.data();
    let cost = solver
        .as_ref()
        .map_or(PairCost::ExactW1, PairCost::Sinkhorn);
    let out = py.detach(|| {
        on_threads(threads, || {
            let h = Histograms::new(&g, &data)?;
            pdist(&h, cost)
        })
    })?;
    let out = out.map_err(|e| batch_error(e, "histograms", "histograms"))?;
    Ok(PyArray1::from_vec(py, out))
}

/// SciPy `cdist`: the `(len(a), len(b))` matrix of costs between rows of `a` and of `b`.
#[pyfunction]
#[pyo3(signature = (a, b, *, x=None, grid=None, method="emd", reg=None, threads=None))]
#[allow(clippy::too_many_arguments)] // distributed.pairwise's keywords, one each
fn pairwise_cdist<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    x: Option<&Bound<'py, PyAny>>,
    grid: Option<&Bound<'py, PyAny>>,
    method: &str,
    reg: Option<f64>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let solver = solver(method, reg)?;
    let (ra, rb) = (Rows::read(a, "histograms")?, Rows::read(b, "other")?);
    let g = read_geometry(&ra, Some(&rb), x, grid)?;
    let (da, db) = (ra.data(), rb.data());
    let (na, nb) = (ra.array.shape()[0], rb.array.shape()[0]);
    let cost = solver
        .as_ref()
        .map_or(PairCost::ExactW1, PairCost::Sinkhorn);
    let out = py.detach(|| {
        on_threads(threads, || {
            let ha = Histograms::new(&g, &da).map_err(|e| tag(e, Set::A))?;
            let hb = Histograms::new(&g, &db).map_err(|e| tag(e, Set::B))?;
            ha.check_compatible(&hb).map_err(|e| tag(e, Set::B))?;
            cdist(&ha, &hb, cost).map_err(|e| tag(e, Set::A))
        })
    })?;
    let values = out.map_err(|(e, set)| set_error(e, set))?;
    Ok(PyArray1::from_vec(py, values).reshape([na, nb])?.into_any())
}

/// Which set an error of `pairwise_cdist` names.
#[derive(Clone, Copy)]
enum Set {
    A,
    B,
}

fn tag(e: SinkhornError, set: Set) -> (SinkhornError, Set) {
    (e, set)
}

/// [`batch_error`] for an error of set `set` (a failed pair is always `histograms[i]`
/// against `other[j]`).
fn set_error(e: SinkhornError, set: Set) -> PyErr {
    match set {
        Set::A => batch_error(e, "histograms", "other"),
        Set::B => batch_error(e, "other", "other"),
    }
}
