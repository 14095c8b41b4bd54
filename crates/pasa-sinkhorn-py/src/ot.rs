//! `pasa_sinkhorn.ot`: POT's `emd2` and `sinkhorn2` on `sinkhorn`'s W1 solvers.
//!
//! Every call runs in three phases: under the GIL, read the arrays once and check the
//! options, the geometry and every shape; with the GIL released, build one
//! `sinkhorn::Problem` per histogram (which validates the masses) and only then solve
//! them, in parallel with rayon for a batch. A histogram whose solve did not converge
//! raises `ConvergenceError`; no number is returned for it.
//!
//! Rust calls: `w1_line` on the caller's masses (emd2 on a line: no `Problem` is built),
//! `exact_w1` (emd2 on a grid), `sinkhorn::wasserstein_1d` on the caller's samples
//! (wasserstein_1d), `Sinkhorn::solve` with `SinkhornParams { eps: reg,
//! domain, termination }` (sinkhorn2, methods "sinkhorn"/"sinkhorn_log"/
//! "sinkhorn_stabilized"), `Ipot::solve` with `IpotParams { beta: reg, termination }`
//! ("ipot").

use numpy::ndarray::ArrayViewD;
use numpy::{PyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyList, PyTuple};
use rayon::prelude::*;
use sinkhorn::{
    Domain, Eps, Geometry, Grid2d, Ipot, IpotParams, Problem, Sinkhorn, SinkhornError,
    SinkhornParams, SinkhornResult, Support1d, Termination, exact_w1, w1_line,
};

use crate::errors::sinkhorn_error;
use crate::input::{Float64, axis, column, elements, float64, vector};
use crate::method::{Method, Reader};

/// Add this module's functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(emd2, m)?)?;
    m.add_function(wrap_pyfunction!(sinkhorn2, m)?)?;
    m.add_function(wrap_pyfunction!(wasserstein_1d, m)?)?;
    m.add("SINKHORN_METHODS", Reader::Sinkhorn2.names())?;
    Ok(())
}

/// A solver with its options, validated.
enum Solver {
    Fs1(Sinkhorn),
    Ipot(Ipot),
}

impl Solver {
    fn new(method: &str, reg: f64, max_iter: Option<i64>, stop_thr: f64) -> PyResult<Self> {
        let method = Reader::Sinkhorn2.method(method)?;
        let max_iter = match max_iter {
            None => None,
            Some(n) => Some(usize::try_from(n).ok().filter(|&n| n > 0).ok_or_else(|| {
                PyValueError::new_err(format!("numItermax = {n}; it must be >= 1"))
            })?),
        };
        let termination = |default: Termination| Termination {
            max_iter: max_iter.unwrap_or(default.max_iter),
            tol: stop_thr,
            ..default
        };
        let solver = match method {
            Method::Fs1(domain) => {
                let params = SinkhornParams {
                    domain,
                    termination: termination(Termination::default()),
                    ..SinkhornParams::with_reg(reg)
                };
                params.validate().map_err(|e| sinkhorn_error(&e, ""))?;
                Solver::Fs1(Sinkhorn::new(params))
            }
            Method::Ipot => {
                let defaults = IpotParams::default();
                let params = IpotParams {
                    beta: Eps::Absolute(reg),
                    termination: termination(defaults.termination),
                    ..defaults
                };
                params.validate().map_err(|e| sinkhorn_error(&e, ""))?;
                Solver::Ipot(Ipot::new(params))
            }
            Method::Exact => unreachable!("`method::METHODS` gives sinkhorn2 no exact method"),
        };
        Ok(solver)
    }

    fn solve(&self, problem: &Problem) -> Result<SinkhornResult, SinkhornError> {
        match self {
            Solver::Fs1(s) => s.solve(problem),
            Solver::Ipot(s) => s.solve(problem),
        }
    }
}

/// Marginals on one geometry: one pair, or a batch of histograms in the last axis.
struct Marginals<'py> {
    geometry: Geometry,
    a: Float64<'py>,
    b: Float64<'py>,
    a_batched: bool,
    b_batched: bool,
    count: usize,
}

/// Why a histogram failed: its index in the batch (if a batch) and the error.
struct Failure {
    index: Option<usize>,
    error: SinkhornError,
}

impl Failure {
    fn context(&self) -> String {
        context(self.index)
    }
}

/// The prefix of an error message about histogram `index` of a batch (none for a pair).
fn context(index: Option<usize>) -> String {
    index.map_or_else(String::new, |j| format!("histogram {j} of the batch: "))
}

fn shape_error(message: String) -> PyErr {
    PyValueError::new_err(message)
}

impl<'py> Marginals<'py> {
    /// Read `a`, `b` and the support; check every shape.
    fn read(
        a: &Bound<'py, PyAny>,
        b: &Bound<'py, PyAny>,
        x: Option<&Bound<'py, PyAny>>,
        grid: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Self> {
        let a = float64(a, "a")?;
        let b = float64(b, "b")?;
        let (a_shape, b_shape) = (a.shape().to_vec(), b.shape().to_vec());
        // Dimensions of one histogram: 1 on a line, 2 on a grid.
        let hist = match (x, grid) {
            (Some(_), Some(_)) => {
                return Err(shape_error(
                    "give either x (a 1D support) or grid (two axes), not both".into(),
                ));
            }
            (Some(_), None) => 1,
            (None, Some(_)) => 2,
            (None, None) if a_shape.len() <= 1 => 1,
            (None, None) => 2,
        };
        let layout = if hist == 1 {
            "(n,) or a batch (n, k)"
        } else {
            "(n0, n1) or a batch (n0, n1, k)"
        };
        for (name, shape) in [("a", &a_shape), ("b", &b_shape)] {
            if shape.len() != hist && shape.len() != hist + 1 {
                return Err(shape_error(format!(
                    "{name} has shape {shape:?}; expected {layout}"
                )));
            }
        }
        if a_shape[..hist] != b_shape[..hist] {
            return Err(shape_error(format!(
                "a and b hold histograms of shapes {:?} and {:?}; they must be equal",
                &a_shape[..hist],
                &b_shape[..hist]
            )));
        }
        let (a_batched, b_batched) = (a_shape.len() > hist, b_shape.len() > hist);
        let count = match (a_batched, b_batched) {
            (true, true) if a_shape[hist] != b_shape[hist] => {
                return Err(shape_error(format!(
                    "a holds {} histograms and b {}; batches must have equal counts",
                    a_shape[hist], b_shape[hist]
                )));
            }
            (true, _) => a_shape[hist],
            (false, true) => b_shape[hist],
            (false, false) => 1,
        };
        if count == 0 {
            return Err(shape_error("the batch holds no histogram".into()));
        }
        let geometry = geometry(&a_shape[..hist], x, grid)?;
        Ok(Marginals {
            geometry,
            a,
            b,
            a_batched,
            b_batched,
            count,
        })
    }

    fn batched(&self) -> bool {
        self.a_batched || self.b_batched
    }

    /// Build every problem, then run `solve` on each, with the GIL released.
    fn solve_all<T: Send>(
        &self,
        py: Python<'_>,
        solve: impl Fn(&Problem) -> Result<T, SinkhornError> + Sync + Send,
    ) -> Result<Vec<T>, Failure> {
        let (av, bv) = (self.a.as_array(), self.b.as_array());
        let (geometry, layout, count) =
            (&self.geometry, (self.a_batched, self.b_batched), self.count);
        let batched = self.batched();
        let failure = move |j, error| Failure {
            index: batched.then_some(j),
            error,
        };
        py.detach(|| {
            let problems = each(count, |j| {
                problem(geometry, &av, &bv, layout, j).map_err(|e| failure(j, e))
            })?;
            each(count, |j| solve(&problems[j]).map_err(|e| failure(j, e)))
        })
    }

    /// `f(a_j, b_j)` on each pair of histograms, reading them where they lie when they
    /// are contiguous, with the GIL released.
    fn each_pair<T: Send>(
        &self,
        py: Python<'_>,
        f: impl Fn(&[f64], &[f64]) -> Result<T, SinkhornError> + Sync + Send,
    ) -> Result<Vec<T>, Failure> {
        let (av, bv) = (self.a.as_array(), self.b.as_array());
        let (a_batched, b_batched, batched) = (self.a_batched, self.b_batched, self.batched());
        let count = self.count;
        py.detach(|| {
            each(count, |j| {
                f(&column(&av, a_batched, j), &column(&bv, b_batched, j)).map_err(|error| Failure {
                    index: batched.then_some(j),
                    error,
                })
            })
        })
    }

    /// One float, or an array of one value per histogram.
    fn values<'a>(&self, py: Python<'a>, values: Vec<f64>) -> Bound<'a, PyAny> {
        if self.batched() {
            PyArray1::from_vec(py, values).into_any()
        } else {
            PyFloat::new(py, values[0]).into_any()
        }
    }
}

/// `f(0), ..., f(count - 1)`: in parallel for a batch, inline for one histogram (a
/// rayon round trip would cost more than a small solve). On failure, the error of the
/// lowest failing index, whatever the thread timing.
fn each<T: Send, E: Send>(
    count: usize,
    f: impl Fn(usize) -> Result<T, E> + Sync + Send,
) -> Result<Vec<T>, E> {
    if count == 1 {
        Ok(vec![f(0)?])
    } else {
        // Every entry, then the lowest failing index: rayon's `collect` into a `Result`
        // keeps whichever error a thread met first, so the message would change from run
        // to run.
        let all: Vec<Result<T, E>> = (0..count).into_par_iter().map(f).collect();
        all.into_iter().collect()
    }
}

fn problem(
    geometry: &Geometry,
    a: &ArrayViewD<'_, f64>,
    b: &ArrayViewD<'_, f64>,
    (a_batched, b_batched): (bool, bool),
    j: usize,
) -> Result<Problem, SinkhornError> {
    Problem::new(
        geometry.clone(),
        column(a, a_batched, j).into_owned(),
        column(b, b_batched, j).into_owned(),
    )
}

/// The support of histograms of shape `hist`: `x` on a line, `grid = (rows, cols)` on a
/// grid, unit spacing from 0 when absent.
pub(crate) fn geometry(
    hist: &[usize],
    x: Option<&Bound<'_, PyAny>>,
    grid: Option<&Bound<'_, PyAny>>,
) -> PyResult<Geometry> {
    let support = |given: Option<&Bound<'_, PyAny>>, name: &str, len: usize| {
        let support = match given {
            Some(points) => {
                let points = axis(points, name)?;
                if points.len() != len {
                    return Err(shape_error(format!(
                        "{name} has {} points but the histograms have {len} along it",
                        points.len()
                    )));
                }
                Support1d::points(points)
            }
            None => Support1d::uniform(0.0, 1.0, len),
        };
        support.map_err(|e| sinkhorn_error(&e, &format!("{name}: ")))
    };
    if let [n] = *hist {
        return Ok(Geometry::Line(support(x, "x", n)?));
    }
    let (rows, cols) = match grid {
        Some(g) => {
            let pair = g
                .cast::<PyTuple>()
                .ok()
                .filter(|t| t.len() == 2)
                .ok_or_else(|| {
                    shape_error("grid must be a tuple (rows, cols) of two sorted axes".into())
                })?;
            (Some(pair.get_item(0)?), Some(pair.get_item(1)?))
        }
        None => (None, None),
    };
    let grid = Grid2d::new(
        support(rows.as_ref(), "grid[0]", hist[0])?,
        support(cols.as_ref(), "grid[1]", hist[1])?,
    )
    .map_err(|e| sinkhorn_error(&e, ""))?;
    Ok(Geometry::Grid(grid))
}

/// Exact W1 (POT `ot.emd2` with the |x - y| / L1 cost): see `python/pasa_sinkhorn/ot.py`.
#[pyfunction]
#[pyo3(signature = (a, b, x=None, grid=None))]
fn emd2<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    x: Option<&Bound<'py, PyAny>>,
    grid: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let m = Marginals::read(a, b, x, grid)?;
    let values = match &m.geometry {
        // The CDF formula reads the masses where they lie: no `Problem`, no copy.
        Geometry::Line(support) => m.each_pair(py, |a, b| w1_line(support, a, b)),
        Geometry::Grid(_) => m.solve_all(py, exact_w1),
    }
    .map_err(|f| sinkhorn_error(&f.error, &f.context()))?;
    Ok(m.values(py, values))
}

/// W1 between raw samples (`scipy.stats.wasserstein_distance`): see
/// `python/pasa_sinkhorn/ot.py`. Calls `sinkhorn::wasserstein_1d` with the GIL released.
#[pyfunction]
#[pyo3(signature = (u_values, v_values, u_weights=None, v_weights=None))]
fn wasserstein_1d(
    py: Python<'_>,
    u_values: &Bound<'_, PyAny>,
    v_values: &Bound<'_, PyAny>,
    u_weights: Option<&Bound<'_, PyAny>>,
    v_weights: Option<&Bound<'_, PyAny>>,
) -> PyResult<f64> {
    let (u, v) = (vector(u_values, "u_values")?, vector(v_values, "v_values")?);
    let uw = u_weights.map(|w| vector(w, "u_weights")).transpose()?;
    let vw = v_weights.map(|w| vector(w, "v_weights")).transpose()?;
    let (u, v) = (u.as_array(), v.as_array());
    let (uw, vw) = (
        uw.as_ref().map(|w| w.as_array()),
        vw.as_ref().map(|w| w.as_array()),
    );
    let (u, v) = (elements(&u), elements(&v));
    let (uw, vw) = (uw.as_ref().map(elements), vw.as_ref().map(elements));
    py.detach(|| sinkhorn::wasserstein_1d(&u, &v, uw.as_deref(), vw.as_deref()))
        .map_err(|e| sinkhorn_error(&e, ""))
}

/// Entropic transport cost `<T, C>` (POT `ot.sinkhorn2`): see
/// `python/pasa_sinkhorn/ot.py`.
#[pyfunction]
#[pyo3(signature = (a, b, reg, x=None, grid=None, method="sinkhorn", num_iter_max=None, stop_thr=1e-9, log=false))]
#[allow(clippy::too_many_arguments)] // POT's signature, one keyword each
fn sinkhorn2<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    reg: f64,
    x: Option<&Bound<'py, PyAny>>,
    grid: Option<&Bound<'py, PyAny>>,
    method: &str,
    num_iter_max: Option<i64>,
    stop_thr: f64,
    log: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let solver = Solver::new(method, reg, num_iter_max, stop_thr)?;
    let m = Marginals::read(a, b, x, grid)?;
    let results = m
        .solve_all(py, |p| solver.solve(p))
        .map_err(|f| sinkhorn_error(&f.error, &f.context()))?;
    let value = m.values(py, results.iter().map(|r| r.cost).collect());
    if !log {
        return Ok(value);
    }
    let logs = results
        .iter()
        .map(|r| log_dict(py, r))
        .collect::<PyResult<Vec<_>>>()?;
    let logs = if m.batched() {
        PyList::new(py, logs)?.into_any()
    } else {
        logs.into_iter().next().expect("one result").into_any()
    };
    Ok(PyTuple::new(py, [value, logs])?.into_any())
}

/// POT's `log` dict of one solve.
fn log_dict<'py>(py: Python<'py>, r: &SinkhornResult) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("niter", r.iterations)?;
    d.set_item(
        "err",
        r.history.iter().map(|&(_, v)| v).collect::<Vec<f64>>(),
    )?;
    d.set_item("f", PyArray1::from_slice(py, r.f()))?;
    d.set_item("g", PyArray1::from_slice(py, r.g()))?;
    d.set_item("reg", r.plan.eps())?;
    d.set_item("objective", r.objective)?;
    d.set_item(
        "domain",
        match r.domain {
            Domain::Standard => "standard",
            Domain::Log => "log",
            Domain::Stabilized => "stabilized",
            Domain::Auto => "auto",
        },
    )?;
    Ok(d)
}
