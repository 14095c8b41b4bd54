//! `pasa_sinkhorn.attention`: `pasa-core`'s emulated FP16 attention and its overflow
//! diagnostics on NumPy arrays of shape (heads, seq, dim) or (batch, heads, seq, dim).
//!
//! Rust calls: `AttentionInputs::new`, `attention` with `Preset::kernel()` and
//! `AttentionParams`, `reference_attention`, `ErrorReport::compare` (overflow_report and
//! attention); `io::SafetensorsFile` and `io::load_npy_f16` (load). Kernels run with the
//! GIL released (they use rayon themselves).

use std::path::Path;

use half::f16;
use numpy::{PyArray1, PyArrayMethods};
use pasa_core::io::{SafetensorsFile, load_npy_f16};
use pasa_core::{
    AttentionInputs, AttentionOutput, AttentionParams, ErrorReport, PasaError, Preset, Tensor,
    attention as run_attention, reference_attention,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{file_not_found, pasa_error};
use crate::input::float16;

/// The name `attention(variant=...)` takes for the f64 reference.
const REFERENCE: &str = "reference";

/// The variants `overflow_report` compares by default: those of
/// `cargo xtask validate --input`.
const REPORT_VARIANTS: [Preset; 3] = [Preset::Fp32Softmax, Preset::NaiveFp16, Preset::PasaKeyMeans];

/// Add this module's functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(attention, m)?)?;
    m.add_function(wrap_pyfunction!(overflow_report, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add("ATTENTION_VARIANTS", Preset::ALL.map(Preset::name).to_vec())?;
    m.add(
        "REPORT_VARIANTS",
        REPORT_VARIANTS.map(Preset::name).to_vec(),
    )?;
    Ok(())
}

/// Q, K, V read and validated, with the rank to give the output back in.
struct Operands {
    inputs: AttentionInputs,
    rank: usize,
}

fn tensor(ob: &Bound<'_, PyAny>, name: &'static str) -> PyResult<(Tensor<f16>, usize)> {
    let (data, shape) = float16(ob, name)?;
    let shape4 = match *shape {
        [h, s, d] => [1, h, s, d],
        [b, h, s, d] => [b, h, s, d],
        _ => {
            return Err(PyValueError::new_err(format!(
                "{name} has shape {shape:?}; expected (heads, seq, dim) or (batch, heads, seq, dim)"
            )));
        }
    };
    let t = Tensor::new(name, shape4, data).map_err(|e| pasa_error(&e))?;
    Ok((t, shape.len()))
}

impl Operands {
    fn read(q: &Bound<'_, PyAny>, k: &Bound<'_, PyAny>, v: &Bound<'_, PyAny>) -> PyResult<Self> {
        let (q, rq) = tensor(q, "q")?;
        let (k, rk) = tensor(k, "k")?;
        let (v, rv) = tensor(v, "v")?;
        if rq != rk || rq != rv {
            return Err(PyValueError::new_err(format!(
                "q, k and v have {rq}, {rk} and {rv} dimensions; give all three as \
                 (heads, seq, dim) or all as (batch, heads, seq, dim)"
            )));
        }
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

/// Per variant: overflow counts, largest |score| and error against the f64 reference:
/// see `python/pasa_sinkhorn/attention.py`.
#[pyfunction]
#[pyo3(signature = (q, k, v, causal=false, scale=None, block_q=128, block_k=128, variants=None))]
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
    variants: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyDict>> {
    let presets = match variants {
        None => REPORT_VARIANTS.to_vec(),
        Some(names) => names
            .iter()
            .map(|n| preset(n))
            .collect::<PyResult<Vec<_>>>()?,
    };
    let p = params(causal, scale, block_q, block_k)?;
    let ops = Operands::read(q, k, v)?;
    let runs = py
        .detach(|| -> Result<_, PasaError> {
            let reference = reference_attention(&ops.inputs, &p)?;
            presets
                .iter()
                .map(|preset| {
                    let out = run_attention(&ops.inputs, &preset.kernel(), &p)?;
                    let error = ErrorReport::compare(&out.out, &reference);
                    Ok((*preset, out, error))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| pasa_error(&e))?;
    let report = PyDict::new(py);
    for (preset, out, error) in &runs {
        report.set_item(preset.name(), variant_dict(py, out, error)?)?;
    }
    Ok(report)
}

/// One variant's row of the report: the `Probe` and the `ErrorReport` fields.
fn variant_dict<'py>(
    py: Python<'py>,
    out: &AttentionOutput,
    e: &ErrorReport,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let p = &out.probe;
    d.set_item("max_abs_score", p.max_abs_score)?;
    d.set_item("score_non_finite", p.score_non_finite)?;
    d.set_item("scores_seen", p.scores_seen)?;
    d.set_item("max_abs_shift", p.max_abs_shift)?;
    d.set_item("shift_non_finite", p.shift_non_finite)?;
    d.set_item("prob_non_finite", p.prob_non_finite)?;
    d.set_item("stats_non_finite", p.stats_non_finite)?;
    d.set_item("accumulator_non_finite", p.accumulator_non_finite)?;
    d.set_item("rmse", e.rmse)?;
    d.set_item("max_abs_error", e.max_abs)?;
    d.set_item("relative_error", e.relative)?;
    d.set_item("output_non_finite", e.non_finite)?;
    d.set_item("outputs", e.total)?;
    d.set_item("beta", out.beta)?;
    Ok(d)
}

/// Tensors of a `.safetensors` file (a dict) or one `.npy` array, as float16 (batch,
/// heads, seq, dim): see `python/pasa_sinkhorn/attention.py`.
#[pyfunction]
fn load<'py>(py: Python<'py>, path: std::path::PathBuf) -> PyResult<Bound<'py, PyAny>> {
    let shown = path.display().to_string();
    if !path.exists() {
        return Err(file_not_found(&shown));
    }
    let array = |t: Tensor<f16>| -> PyResult<Bound<'py, PyAny>> {
        let shape = t.shape();
        Ok(PyArray1::from_vec(py, t.into_data())
            .reshape(shape)?
            .into_any())
    };
    match path.extension().and_then(|e| e.to_str()) {
        Some("npy") => {
            let t = py
                .detach(|| load_npy_f16(&path))
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

fn read_safetensors(path: &Path) -> Result<Vec<(String, Tensor<f16>)>, PasaError> {
    let file = SafetensorsFile::open(path)?;
    file.names()?
        .into_iter()
        .map(|name| {
            let t = file.tensor_f16(&name)?;
            Ok((name, t))
        })
        .collect()
}
