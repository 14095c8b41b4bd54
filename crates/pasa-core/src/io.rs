//! Loaders for real Q/K/V dumps (`.safetensors` with f16/bf16/f32, `.npy` with f16/f32/f64)
//! into FP16 [`Tensor`]s, so users can check tensors captured from their own model.
//!
//! Values are rounded once to f16 (values above 65504 become infinite and are then reported
//! by [`AttentionInputs::new`](crate::AttentionInputs::new)). Rank 2 `(seq, dim)`, 3
//! `(heads, seq, dim)` and 4 `(batch, heads, seq, dim)` are accepted.

use std::path::Path;

use half::{bf16, f16};
use safetensors::{Dtype, SafeTensors};

use crate::error::PasaError;
use crate::round::{bf16_to_f16, f32_slice_to_f16, f64_slice_to_f16};
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

/// Load a `.npy` array (f16, f32 or f64, C order) rounded to f16 storage.
///
/// # Errors
/// [`PasaError::Load`], [`PasaError::UnsupportedDtype`], [`PasaError::UnsupportedRank`].
pub fn load_npy_f16(path: impl AsRef<Path>) -> Result<Tensor<f16>, PasaError> {
    let path = path.as_ref();
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
    let data: Vec<f16> = match descr.trim_start_matches(['<', '|', '=']) {
        "f2" => npy.into_vec::<f16>().map_err(|e| load_err(path, e))?,
        "f4" => {
            let src = npy.into_vec::<f32>().map_err(|e| load_err(path, e))?;
            let mut dst = vec![f16::ZERO; src.len()];
            f32_slice_to_f16(&mut dst, &src);
            dst
        }
        "f8" => {
            let src = npy.into_vec::<f64>().map_err(|e| load_err(path, e))?;
            let mut dst = vec![f16::ZERO; src.len()];
            f64_slice_to_f16(&mut dst, &src);
            dst
        }
        _ => {
            return Err(PasaError::UnsupportedDtype { name, dtype: descr });
        }
    };
    Tensor::new("npy", shape, data)
}
