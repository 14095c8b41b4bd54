//! `pasa_sinkhorn.attention`: `pasa-core`'s emulated FP16 attention and its overflow
//! diagnostics on NumPy arrays of shape (heads, seq, dim) or (batch, heads, seq, dim).
//!
//! Rust calls: `AttentionInputs::new`, `attention` with `Preset::kernel()` and
//! `AttentionParams`, `reference_attention` (attention); `SourceInputs::new` and
//! `pasa_core::overflow_report`, the function behind `cargo xtask validate --input`
//! (overflow_report); `io::SafetensorsFile::tensor_f64` and `io::load_npy_f64` (load).
//! Kernels run with the GIL released (they use rayon themselves).

use std::path::Path;

use half::f16;
use numpy::{PyArray1, PyArrayMethods};
use pasa_core::io::{SafetensorsFile, load_npy_f64};
use pasa_core::{
    AttentionInputs, AttentionParams, InputDtype, OverflowReport, PasaError, Preset, SourceInputs,
    Tensor, attention as run_attention, overflow_report as pasa_overflow_report,
    reference_attention,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::errors::{file_not_found, pasa_error};
use crate::input::{float16, source_f64};

/// The name `attention(variant=...)` takes for the f64 reference.
const REFERENCE: &str = "reference";

/// Add this module's functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(attention, m)?)?;
    m.add_function(wrap_pyfunction!(overflow_report, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add("ATTENTION_VARIANTS", Preset::ALL.map(Preset::name).to_vec())?;
    Ok(())
}

/// Q, K, V read and validated, with the rank to give the output back in.
struct Operands {
    inputs: AttentionInputs,
    rank: usize,
}

/// `shape` as (batch, heads, seq, dim): a leading 1 for (heads, seq, dim).
fn shape4(shape: &[usize], name: &str) -> PyResult<[usize; 4]> {
    match *shape {
        [h, s, d] => Ok([1, h, s, d]),
        [b, h, s, d] => Ok([b, h, s, d]),
        _ => Err(PyValueError::new_err(format!(
            "{name} has shape {shape:?}; expected (heads, seq, dim) or (batch, heads, seq, dim)"
        ))),
    }
}

/// An operand as FP16 storage (what the kernels read), with its rank.
fn tensor(ob: &Bound<'_, PyAny>, name: &'static str) -> PyResult<(Tensor<f16>, usize)> {
    let (data, shape) = float16(ob, name)?;
    let t = Tensor::new(name, shape4(&shape, name)?, data).map_err(|e| pasa_error(&e))?;
    Ok((t, shape.len()))
}

/// An operand's source values in f64 (what `overflow_report` compares against), with its
/// rank.
fn source_tensor(ob: &Bound<'_, PyAny>, name: &'static str) -> PyResult<(Tensor<f64>, usize)> {
    let (data, shape) = source_f64(ob, name)?;
    let t = Tensor::new(name, shape4(&shape, name)?, data).map_err(|e| pasa_error(&e))?;
    Ok((t, shape.len()))
}

fn same_rank(rq: usize, rk: usize, rv: usize) -> PyResult<()> {
    if rq == rk && rq == rv {
        return Ok(());
    }
    Err(PyValueError::new_err(format!(
        "q, k and v have {rq}, {rk} and {rv} dimensions; give all three as \
         (heads, seq, dim) or all as (batch, heads, seq, dim)"
    )))
}

impl Operands {
    fn read(q: &Bound<'_, PyAny>, k: &Bound<'_, PyAny>, v: &Bound<'_, PyAny>) -> PyResult<Self> {
        let (q, rq) = tensor(q, "q")?;
        let (k, rk) = tensor(k, "k")?;
        let (v, rv) = tensor(v, "v")?;
        same_rank(rq, rk, rv)?;
        let inputs = AttentionInputs::new(q, k, v).map_err(|e| pasa_error(&e))?;
        Ok(Operands { inputs, rank: rq })
    }

    /// `out` as a float64 array in the rank of the inputs.
    fn output<'py>(&self, py: Python<'py>, out: Tensor<f64>) -> PyResult<Bound<'py, PyAny>> {
        let [b, h, s, d] = out.shape();
        let flat = PyArray1::from_vec(py, out.into_data());
        let array = if self.rank == 3 {
            flat.reshape([h, s, d])?.into_any()
        } else {
            flat.reshape([b, h, s, d])?.into_any()
        };
        Ok(array)
    }
}

/// The kernel options; a negative block size is a `ValueError` (zero is left to
/// `AttentionParams::validate`, which names it).
fn params(
    causal: bool,
    scale: Option<f64>,
    block_q: i64,
    block_k: i64,
) -> PyResult<AttentionParams> {
    let size = |name: &str, n: i64| {
        usize::try_from(n)
            .map_err(|_| PyValueError::new_err(format!("{name} = {n}; a block size must be >= 1")))
    };
    Ok(AttentionParams {
        block_q: size("block_q", block_q)?,
        block_k: size("block_k", block_k)?,
        causal,
        scale,
    })
}

/// The preset named `name` (`Preset::name`).
fn preset(name: &str) -> PyResult<Preset> {
    Preset::ALL
        .into_iter()
        .find(|p| p.name() == name)
        .ok_or_else(|| {
            let names = Preset::ALL.map(Preset::name).join(", ");
            PyValueError::new_err(format!(
                "unknown variant {name:?}; use one of {names} or {REFERENCE:?}"
            ))
        })
}

/// The emulated output of one variant: see `python/pasa_sinkhorn/attention.py`.
#[pyfunction]
#[pyo3(signature = (q, k, v, variant="pasa", causal=false, scale=None, block_q=128, block_k=128))]
#[allow(clippy::too_many_arguments)] // one keyword per option, as in the Python signature
fn attention<'py>(
    py: Python<'py>,
    q: &Bound<'py, PyAny>,
    k: &Bound<'py, PyAny>,
    v: &Bound<'py, PyAny>,
    variant: &str,
    causal: bool,
    scale: Option<f64>,
    block_q: i64,
    block_k: i64,
) -> PyResult<Bound<'py, PyAny>> {
    let kernel = if variant == REFERENCE {
        None
    } else {
        Some(preset(variant)?.kernel())
    };
    let p = params(causal, scale, block_q, block_k)?;
    let ops = Operands::read(q, k, v)?;
    let out = py
        .detach(|| match kernel {
            None => reference_attention(&ops.inputs, &p),
            Some(kernel) => run_attention(&ops.inputs, &kernel, &p).map(|o| o.out),
        })
        .map_err(|e| pasa_error(&e))?;
    ops.output(py, out)
}

/// `pasa_core::overflow_report` on the source values of Q, K, V (the answer of
/// `cargo xtask validate --input` for one layer): see `python/pasa_sinkhorn/attention.py`.
#[pyfunction]
#[pyo3(signature = (q, k, v, causal=false, scale=None, block_q=128, block_k=128))]
#[allow(clippy::too_many_arguments)] // one keyword per option, as in the Python signature
fn overflow_report<'py>(
    py: Python<'py>,
    q: &Bound<'py, PyAny>,
    k: &Bound<'py, PyAny>,
    v: &Bound<'py, PyAny>,
    causal: bool,
    scale: Option<f64>,
    block_q: i64,
    block_k: i64,
) -> PyResult<Bound<'py, PyDict>> {
    let p = params(causal, scale, block_q, block_k)?;
    let (q, rq) = source_tensor(q, "q")?;
    let (k, rk) = source_tensor(k, "k")?;
    let (v, rv) = source_tensor(v, "v")?;
    same_rank(rq, rk, rv)?;
    // NumPy has no bfloat16: the dtype that selects the authors' default beta is FP16's,
    // as for every non-bf16 file `validate --input` reads.
    let inputs = SourceInputs::new(q, k, v, InputDtype::F16).map_err(|e| pasa_error(&e))?;
    let report = py
        .detach(|| pasa_overflow_report(&inputs, &p))
        .map_err(|e| pasa_error(&e))?;
    report_dict(py, &report)
}

/// The report as a dict with the field names of `validate --input --json` (its
/// `variants` keyed by name).
fn report_dict<'py>(py: Python<'py>, r: &OverflowReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("shape", PyTuple::new(py, r.shape)?)?;
    d.set_item("max_abs_score", r.max_abs_score)?;
    d.set_item("inputs_beyond_f16", r.inputs_beyond_f16)?;
    d.set_item("max_abs_input", r.max_abs_input)?;
    d.set_item("rms_reference", r.rms_reference)?;
    d.set_item("rms_v", r.rms_v)?;
    let variants = PyDict::new(py);
    for v in &r.variants {
        let row = PyDict::new(py);
        row.set_item("authors", v.authors)?;
        row.set_item("finite", v.finite)?;
        row.set_item("non_finite", v.non_finite)?;
        row.set_item("total", v.total)?;
        row.set_item("max_abs_score", v.max_abs_score)?;
        row.set_item("score_non_finite", v.score_non_finite)?;
        row.set_item("beta", v.beta)?;
        row.set_item("rmse", v.rmse)?;
        row.set_item("rel_rmse", v.rel_rmse)?;
        row.set_item("rel_rmse_v", v.rel_rmse_v)?;
        row.set_item("max_abs_error", v.max_abs_error)?;
        variants.set_item(&v.name, row)?;
    }
    d.set_item("variants", variants)?;
    Ok(d)
}

/// Tensors of a `.safetensors` file (a dict) or one `.npy` array, as their values in
/// float64 (batch, heads, seq, dim): see `python/pasa_sinkhorn/attention.py`.
#[pyfunction]
fn load<'py>(py: Python<'py>, path: std::path::PathBuf) -> PyResult<Bound<'py, PyAny>> {
    let shown = path.display().to_string();
    if !path.exists() {
        return Err(file_not_found(&shown));
    }
    let array = |t: Tensor<f64>| -> PyResult<Bound<'py, PyAny>> {
        let shape = t.shape();
        Ok(PyArray1::from_vec(py, t.into_data())
            .reshape(shape)?
            .into_any())
    };
    match path.extension().and_then(|e| e.to_str()) {
        Some("npy") => {
            let t = py
                .detach(|| load_npy_f64(&path))
                .map_err(|e| pasa_error(&e))?;
            array(t)
        }
        Some("safetensors") => {
            let tensors = py
                .detach(|| read_safetensors(&path))
                .map_err(|e| pasa_error(&e))?;
            let d = PyDict::new(py);
            for (name, t) in tensors {
                d.set_item(name, array(t)?)?;
            }
            Ok(d.into_any())
        }
        _ => Err(PyValueError::new_err(format!(
            "{shown}: expected a .safetensors or .npy file"
        ))),
    }
}

fn read_safetensors(path: &Path) -> Result<Vec<(String, Tensor<f64>)>, PasaError> {
    let file = SafetensorsFile::open(path)?;
    file.names()?
        .into_iter()
        .map(|name| {
            let t = file.tensor_f64(&name)?;
            Ok((name, t))
        })
        .collect()
}
