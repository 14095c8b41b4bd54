//! Loaders for real Q/K/V dumps (`.safetensors` with f16/bf16/f32/f64, `.npy` with
//! f16/f32/f64), so users can check tensors captured from their own model.
//!
//! Two views of a tensor: rounded once to FP16 storage ([`SafetensorsFile::tensor_f16`],
//! [`load_npy_f16`]; values above 65504 become infinite and are then rejected by
//! [`AttentionInputs::new`](crate::AttentionInputs::new)), or the exact source values
//! ([`SafetensorsFile::tensor_f64`], [`load_npy_f64`]) for
//! [`SourceInputs`], which keeps magnitudes beyond FP16 for the
//! overflow report. Rank 2 `(seq, dim)`, 3 `(heads, seq, dim)` and 4
//! `(batch, heads, seq, dim)` are accepted; Hugging Face projection outputs
//! (`q_proj`, ...) are `(batch, seq, heads · head_dim)` and are split into heads
//! ([`QkvNames`], [`SafetensorsFile::source_inputs`]).

use std::path::Path;

use std::collections::HashMap;

use half::{bf16, f16};
use safetensors::{Dtype, SafeTensors};

use crate::beta::InputDtype;
use crate::error::PasaError;
use crate::round::{bf16_to_f16, f32_slice_to_f16, f32_to_f64, f64_slice_to_f16};
use crate::source::SourceInputs;
use crate::tensor::Tensor;

fn load_err(path: &Path, reason: impl ToString) -> PasaError {
    PasaError::Load {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

fn shape4(name: &str, shape: &[usize]) -> Result<[usize; 4], PasaError> {
    match *shape {
        [s, d] => Ok([1, 1, s, d]),
        [h, s, d] => Ok([1, h, s, d]),
        [b, h, s, d] => Ok([b, h, s, d]),
        _ => Err(PasaError::UnsupportedRank {
            name: name.to_string(),
            shape: shape.to_vec(),
        }),
    }
}

/// Little-endian bytes of 2-byte elements into `u16`s.
fn u16s(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect()
}

/// All tensors of a `.safetensors` file, by name.
#[derive(Debug)]
pub struct SafetensorsFile {
    bytes: Vec<u8>,
    path: std::path::PathBuf,
}

impl SafetensorsFile {
    /// Read the file into memory.
    ///
    /// # Errors
    /// [`PasaError::Load`] if it cannot be read or parsed.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, PasaError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| load_err(path, e))?;
        SafeTensors::deserialize(&bytes).map_err(|e| load_err(path, e))?;
        Ok(Self {
            bytes,
            path: path.to_path_buf(),
        })
    }

    /// Names of the tensors in the file, sorted.
    ///
    /// # Errors
    /// [`PasaError::Load`] if the header cannot be parsed.
    pub fn names(&self) -> Result<Vec<String>, PasaError> {
        let st = SafeTensors::deserialize(&self.bytes).map_err(|e| load_err(&self.path, e))?;
        let mut names: Vec<String> = st.names().into_iter().map(ToString::to_string).collect();
        names.sort();
        Ok(names)
    }

    /// Tensor `name` rounded to f16 storage.
    ///
    /// # Errors
    /// [`PasaError::Load`] for a missing tensor, [`PasaError::UnsupportedDtype`],
    /// [`PasaError::UnsupportedRank`].
    pub fn tensor_f16(&self, name: &str) -> Result<Tensor<f16>, PasaError> {
        let st = SafeTensors::deserialize(&self.bytes).map_err(|e| load_err(&self.path, e))?;
        let view = st.tensor(name).map_err(|e| load_err(&self.path, e))?;
        let shape = shape4(name, view.shape())?;
        let bytes = view.data();
        let data: Vec<f16> = match view.dtype() {
            Dtype::F16 => u16s(bytes).into_iter().map(f16::from_bits).collect(),
            Dtype::BF16 => u16s(bytes)
                .into_iter()
                .map(|b| bf16_to_f16(bf16::from_bits(b)))
                .collect(),
            Dtype::F32 => {
                let src: Vec<f32> = bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                let mut dst = vec![f16::ZERO; src.len()];
                f32_slice_to_f16(&mut dst, &src);
                dst
            }
            other => {
                return Err(PasaError::UnsupportedDtype {
                    name: name.to_string(),
                    dtype: format!("{other:?}"),
                });
            }
        };
        Tensor::new("safetensors", shape, data)
    }

    /// Tensor `name` with its exact values in f64 (f16, bf16, f32 and f64 widen exactly).
    ///
    /// # Errors
    /// [`PasaError::Load`] for a missing tensor, [`PasaError::UnsupportedDtype`],
    /// [`PasaError::UnsupportedRank`].
    pub fn tensor_f64(&self, name: &str) -> Result<Tensor<f64>, PasaError> {
        let (dims, data, _) = self.source_values(name)?;
        Tensor::new("safetensors", shape4(name, &dims)?, data)
    }

    /// Tensor `name`, stored as bf16, as bf16 values.
    ///
    /// # Errors
    /// [`PasaError::Load`] for a missing tensor, [`PasaError::UnsupportedDtype`] for any
    /// other dtype, [`PasaError::UnsupportedRank`].
    pub fn tensor_bf16(&self, name: &str) -> Result<Tensor<bf16>, PasaError> {
        let st = SafeTensors::deserialize(&self.bytes).map_err(|e| load_err(&self.path, e))?;
        let view = st.tensor(name).map_err(|e| load_err(&self.path, e))?;
        let shape = shape4(name, view.shape())?;
        if view.dtype() != Dtype::BF16 {
            return Err(PasaError::UnsupportedDtype {
                name: name.to_string(),
                dtype: format!("{:?} (expected BF16)", view.dtype()),
            });
        }
        let data = u16s(view.data()).into_iter().map(bf16::from_bits).collect();
        Tensor::new("safetensors", shape, data)
    }

    /// The header's `__metadata__` (empty when the file has none).
    ///
    /// # Errors
    /// [`PasaError::Load`] if the header cannot be parsed.
    pub fn metadata(&self) -> Result<HashMap<String, String>, PasaError> {
        let (_, meta) =
            SafeTensors::read_metadata(&self.bytes).map_err(|e| load_err(&self.path, e))?;
        Ok(meta.metadata().clone().unwrap_or_default())
    }

    /// The raw shape, exact values and storage type of tensor `name`.
    fn source_values(&self, name: &str) -> Result<(Vec<usize>, Vec<f64>, Dtype), PasaError> {
        let st = SafeTensors::deserialize(&self.bytes).map_err(|e| load_err(&self.path, e))?;
        let view = st.tensor(name).map_err(|e| load_err(&self.path, e))?;
        let bytes = view.data();
        let data: Vec<f64> = match view.dtype() {
            Dtype::F16 => u16s(bytes)
                .into_iter()
                .map(|b| f16::from_bits(b).to_f64())
                .collect(),
            Dtype::BF16 => u16s(bytes)
                .into_iter()
                .map(|b| bf16::from_bits(b).to_f64())
                .collect(),
            Dtype::F32 => bytes
                .chunks_exact(4)
                .map(|c| f32_to_f64(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
            Dtype::F64 => bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
            other => {
                return Err(PasaError::UnsupportedDtype {
                    name: name.to_string(),
                    dtype: format!("{other:?}"),
                });
            }
        };
        Ok((view.shape().to_vec(), data, view.dtype()))
    }

    /// Every Q/K/V triple of the file ([`qkv_groups`] of its names).
    ///
    /// # Errors
    /// [`PasaError::Load`] if the header cannot be parsed; [`PasaError::NoAttentionTensors`]
    /// (listing the names found) if no triple is recognised.
    pub fn qkv_groups(&self) -> Result<Vec<QkvNames>, PasaError> {
        let names = self.names()?;
        let groups = qkv_groups(&names);
        if groups.is_empty() {
            return Err(PasaError::NoAttentionTensors { found: names });
        }
        Ok(groups)
    }

    /// The source inputs of one triple: exact values, Hugging Face projection outputs
    /// `(batch, seq, heads · head_dim)` (or `(seq, heads · head_dim)`) split into heads of
    /// `head_dim`, which such a triple needs; labelled [`InputDtype::Bf16`] when all three
    /// tensors are bf16.
    ///
    /// # Errors
    /// [`PasaError::Load`], [`PasaError::UnsupportedDtype`], [`PasaError::UnsupportedRank`];
    /// [`PasaError::HeadDimRequired`] for projection outputs without `head_dim`;
    /// [`PasaError::HiddenNotDivisible`]; the shape and finiteness errors of
    /// [`SourceInputs::new`].
    pub fn source_inputs(
        &self,
        group: &QkvNames,
        head_dim: Option<usize>,
    ) -> Result<SourceInputs, PasaError> {
        let mut dtypes = Vec::with_capacity(3);
        let mut load = |name: &str| -> Result<Tensor<f64>, PasaError> {
            let (dims, data, dtype) = self.source_values(name)?;
            dtypes.push(dtype);
            let shape = if group.projections {
                split_heads_shape(name, &dims, head_dim)?
            } else {
                shape4(name, &dims)?
            };
            let t = Tensor::new("safetensors", shape, data)?;
            Ok(if group.projections {
                split_heads(&t)
            } else {
                t
            })
        };
        let (q, k, v) = (load(&group.q)?, load(&group.k)?, load(&group.v)?);
        let dtype = if dtypes.iter().all(|&d| d == Dtype::BF16) {
            InputDtype::Bf16
        } else {
            InputDtype::F16
        };
        SourceInputs::new(q, k, v, dtype)
    }
}

/// The tensor names of one Q/K/V triple found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QkvNames {
    /// The shared prefix without its trailing separator (`model.layers.3.self_attn`), or
    /// `qkv` when the names have none.
    pub label: String,
    /// Query tensor name.
    pub q: String,
    /// Key tensor name.
    pub k: String,
    /// Value tensor name.
    pub v: String,
    /// A captured attention output `<prefix>out`, when the file has one.
    pub out: Option<String>,
    /// Whether these are Hugging Face projection outputs (`q_proj`, ...), laid out
    /// `(batch, seq, heads · head_dim)`.
    pub projections: bool,
}

/// The naming conventions recognised, as (q, k, v, projection layout).
const CONVENTIONS: [(&str, &str, &str, bool); 4] = [
    ("q", "k", "v", false),
    ("query", "key", "value", false),
    ("query_states", "key_states", "value_states", false),
    ("q_proj", "k_proj", "v_proj", true),
];

/// Every Q/K/V triple among `names`: a prefix `P` (empty, or ending in `.`, `/` or `_`)
/// with `P` + `q`/`k`/`v`, `query`/`key`/`value`, `query_states`/`key_states`/
/// `value_states` or `q_proj`/`k_proj`/`v_proj` all present, e.g.
/// `model.layers.3.self_attn.q_proj`. Ordered by the numbers in the label (layer 2
/// before layer 10), then by label.
#[must_use]
pub fn qkv_groups(names: &[String]) -> Vec<QkvNames> {
    let has = |n: &str| names.iter().any(|m| m == n);
    let mut groups = Vec::new();
    for name in names {
        for (qt, kt, vt, projections) in CONVENTIONS {
            let Some(prefix) = name.strip_suffix(qt) else {
                continue;
            };
            if !(prefix.is_empty() || prefix.ends_with(['.', '/', '_'])) {
                continue;
            }
            let (k, v) = (format!("{prefix}{kt}"), format!("{prefix}{vt}"));
            if !(has(&k) && has(&v)) {
                continue;
            }
            let label = prefix.trim_end_matches(['.', '/', '_']);
            let out = format!("{prefix}out");
            groups.push(QkvNames {
                label: if label.is_empty() { "qkv" } else { label }.to_string(),
                q: name.clone(),
                k,
                v,
                out: has(&out).then_some(out),
                projections,
            });
        }
    }
    groups.sort_by_key(|g| {
        let digits: String = g.label.chars().filter(char::is_ascii_digit).collect();
        (digits.parse::<u64>().unwrap_or(u64::MAX), g.label.clone())
    });
    groups
}

/// `(batch, seq, hidden)` or `(seq, hidden)` of a projection output as
/// `(batch, seq, heads, head_dim)` with `heads = hidden / head_dim`.
fn split_heads_shape(
    name: &str,
    dims: &[usize],
    head_dim: Option<usize>,
) -> Result<[usize; 4], PasaError> {
    let (b, s, hidden) = match *dims {
        [s, hidden] => (1, s, hidden),
        [b, s, hidden] => (b, s, hidden),
        _ => {
            return Err(PasaError::UnsupportedRank {
                name: name.to_string(),
                shape: dims.to_vec(),
            });
        }
    };
    let Some(head_dim) = head_dim else {
        return Err(PasaError::HeadDimRequired {
            name: name.to_string(),
            shape: dims.to_vec(),
        });
    };
    if head_dim == 0 || hidden % head_dim != 0 {
        return Err(PasaError::HiddenNotDivisible {
            name: name.to_string(),
            hidden,
            head_dim,
        });
    }
    Ok([b, s, hidden / head_dim, head_dim])
}

/// `(batch, seq, heads, head_dim)` data into a `(batch, heads, seq, head_dim)` tensor.
fn split_heads(t: &Tensor<f64>) -> Tensor<f64> {
    let [b, s, h, d] = t.shape();
    let mut out = Tensor::filled([b, h, s, d], 0.0);
    for bi in 0..b {
        for si in 0..s {
            for hi in 0..h {
                let src = ((bi * s + si) * h + hi) * d;
                let dst = ((bi * h + hi) * s + si) * d;
                out.data_mut()[dst..dst + d].copy_from_slice(&t.data()[src..src + d]);
            }
        }
    }
    out
}

/// Whether the product of the nonzero dimensions of the `.npy` header's `shape` tuple
/// overflows `u64`.
///
/// `npyz` multiplies the shape (and its suffixes, for strides) without an overflow check
/// (a panic in debug builds, a wrapped count in release), so a malformed header is caught
/// here first. Anything this scan cannot read is left to `npyz`, which reports it as an
/// error.
fn npy_shape_overflows(bytes: &[u8]) -> bool {
    // Magic (6 bytes), version (2), header length (u16 for version 1, u32 after), then the
    // header text up to its newline.
    let start = if bytes.get(6) == Some(&1) { 10 } else { 12 };
    let Some(rest) = bytes.get(start..) else {
        return false;
    };
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let header = String::from_utf8_lossy(&rest[..end]);
    let Some(tuple) = header
        .find("shape")
        .and_then(|i| header[i..].split_once('('))
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(tuple, _)| tuple)
    else {
        return false;
    };
    let mut count: u64 = 1;
    for dim in tuple.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let Ok(dim) = dim.parse::<u64>() else {
            return false;
        };
        match count.checked_mul(dim.max(1)) {
            Some(c) => count = c,
            None => return true,
        }
    }
    false
}

/// Load a `.npy` array (f16, f32 or f64, C order) with its exact values in f64.
///
/// # Errors
/// [`PasaError::Load`], [`PasaError::UnsupportedDtype`], [`PasaError::UnsupportedRank`].
pub fn load_npy_f64(path: impl AsRef<Path>) -> Result<Tensor<f64>, PasaError> {
    let (shape, data) = read_npy(path.as_ref(), |src| match src {
        NpyData::F16(v) => v.into_iter().map(f16::to_f64).collect(),
        NpyData::F32(v) => v.into_iter().map(f32_to_f64).collect(),
        NpyData::F64(v) => v,
    })?;
    Tensor::new("npy", shape, data)
}

/// The element data of an `.npy` file, by dtype.
enum NpyData {
    F16(Vec<f16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// Read an `.npy` file's shape and data, converted by `convert`.
fn read_npy<T>(
    path: &Path,
    convert: impl FnOnce(NpyData) -> Vec<T>,
) -> Result<([usize; 4], Vec<T>), PasaError> {
    let bytes = std::fs::read(path).map_err(|e| load_err(path, e))?;
    if npy_shape_overflows(&bytes) {
        return Err(load_err(
            path,
            "the header's shape multiplies out beyond u64; the file is malformed",
        ));
    }
    let npy = npyz::NpyFile::new(&bytes[..]).map_err(|e| load_err(path, e))?;
    if npy.header().order() == npyz::Order::Fortran {
        return Err(load_err(path, "Fortran-order array; save with C order"));
    }
    let name = path.display().to_string();
    let shape: Vec<usize> = npy
        .shape()
        .iter()
        .map(|&n| usize::try_from(n).map_err(|e| load_err(path, e)))
        .collect::<Result<_, _>>()?;
    let shape = shape4(&name, &shape)?;
    // `descr()` is the Python literal, quotes included ("'<f4'").
    let descr = npy.dtype().descr().trim_matches('\'').to_string();
    let data = match descr.trim_start_matches(['<', '|', '=']) {
        "f2" => NpyData::F16(npy.into_vec::<f16>().map_err(|e| load_err(path, e))?),
        "f4" => NpyData::F32(npy.into_vec::<f32>().map_err(|e| load_err(path, e))?),
        "f8" => NpyData::F64(npy.into_vec::<f64>().map_err(|e| load_err(path, e))?),
        _ => return Err(PasaError::UnsupportedDtype { name, dtype: descr }),
    };
    Ok((shape, convert(data)))
}

/// Load a `.npy` array (f16, f32 or f64, C order) rounded to f16 storage.
///
/// # Errors
/// [`PasaError::Load`], [`PasaError::UnsupportedDtype`], [`PasaError::UnsupportedRank`].
pub fn load_npy_f16(path: impl AsRef<Path>) -> Result<Tensor<f16>, PasaError> {
    let (shape, data) = read_npy(path.as_ref(), |src| match src {
        NpyData::F16(v) => v,
        NpyData::F32(v) => {
            let mut dst = vec![f16::ZERO; v.len()];
            f32_slice_to_f16(&mut dst, &v);
            dst
        }
        NpyData::F64(v) => {
            let mut dst = vec![f16::ZERO; v.len()];
            f64_slice_to_f16(&mut dst, &v);
            dst
        }
    })?;
    Tensor::new("npy", shape, data)
}
