//! Loaders: `.npy` (f16/f32/f64, C order) and `.safetensors` (f16/bf16/f32) into FP16
//! tensors, each value correctly rounded once; unsupported dtypes and ranks are typed errors.

mod common;

use half::{bf16, f16};
use pasa_core::PasaError;
use pasa_core::io::{SafetensorsFile, load_npy_f16};
use safetensors::{Dtype, tensor::TensorView};

fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("pasa-core-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn npy_f32_and_f64_are_rounded_once() {
    let values: Vec<f32> = (0..24)
        .map(|i| 0.1 * f32::from(u8::try_from(i).unwrap()))
        .collect();
    let bytes: Vec<u8> = values.iter().flat_map(|x| x.to_le_bytes()).collect();
    let t = load_npy_f16(temp(
        "a.npy",
        &common::npy_bytes("<f4", &[2, 3, 4], false, &bytes),
    ))
    .unwrap();
    assert_eq!(t.shape(), [1, 2, 3, 4]);
    for (x, y) in t.data().iter().zip(&values) {
        assert_eq!(x.to_bits(), f16::from_f32(*y).to_bits());
    }
    // 1 + 2^-11 + 2^-40 must round up (a double rounding through f32 would give 1.0).
    let x = 1.0 + 2.0_f64.powi(-11) + 2.0_f64.powi(-40);
    let t = load_npy_f16(temp(
        "b.npy",
        &common::npy_bytes("<f8", &[1, 1], false, &x.to_le_bytes()),
    ))
    .unwrap();
    assert_eq!(t.data()[0].to_bits(), 0x3c01);
    let h = f16::from_f32(2.5).to_bits().to_le_bytes();
    let t = load_npy_f16(temp(
        "c.npy",
        &common::npy_bytes("<f2", &[1, 1, 1, 1], false, &h),
    ))
    .unwrap();
    assert_eq!(t.data()[0].to_bits(), f16::from_f32(2.5).to_bits());
}

#[test]
fn npy_errors_are_typed() {
    let err = load_npy_f16(temp(
        "d.npy",
        &common::npy_bytes("<i4", &[1, 1], false, &7_i32.to_le_bytes()),
    ))
    .unwrap_err();
    assert!(matches!(err, PasaError::UnsupportedDtype { .. }), "{err}");
    let err = load_npy_f16(temp(
        "e.npy",
        &common::npy_bytes("<f4", &[1], false, &1.0_f32.to_le_bytes()),
    ))
    .unwrap_err();
    assert!(matches!(err, PasaError::UnsupportedRank { .. }), "{err}");
    let err = load_npy_f16("/nonexistent/x.npy").unwrap_err();
    assert!(matches!(err, PasaError::Load { .. }), "{err}");
}

#[test]
fn safetensors_f16_bf16_f32() {
    let bf: Vec<u8> = [1.5_f32, -3.0, 1.0e5, 0.1]
        .iter()
        .flat_map(|&x| bf16::from_f32(x).to_bits().to_le_bytes())
        .collect();
    let f32s: Vec<u8> = [70000.0_f32, 0.1, 2.0, 3.0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let f16s: Vec<u8> = [0.5_f32, 1.0, 2.0, 4.0]
        .iter()
        .flat_map(|&x| f16::from_f32(x).to_bits().to_le_bytes())
        .collect();
    let i32s: Vec<u8> = [1_i32, 2, 3, 4]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let views = vec![
        ("bf", TensorView::new(Dtype::BF16, vec![2, 2], &bf).unwrap()),
        (
            "f32",
            TensorView::new(Dtype::F32, vec![1, 2, 2], &f32s).unwrap(),
        ),
        (
            "f16",
            TensorView::new(Dtype::F16, vec![1, 1, 2, 2], &f16s).unwrap(),
        ),
        (
            "i32",
            TensorView::new(Dtype::I32, vec![2, 2], &i32s).unwrap(),
        ),
        (
            "rank5",
            TensorView::new(Dtype::F16, vec![1, 1, 1, 2, 2], &f16s).unwrap(),
        ),
    ];
    let bytes = safetensors::serialize(views, None).unwrap();
    let file = SafetensorsFile::open(temp("t.safetensors", &bytes)).unwrap();
    let bf = file.tensor_f16("bf").unwrap();
    assert_eq!(bf.shape(), [1, 1, 2, 2]);
    assert_eq!(bf.data()[0].to_bits(), f16::from_f32(1.5).to_bits());
    // 1e5 in bf16 is beyond the f16 range: infinite, to be rejected by AttentionInputs.
    assert!(bf.data()[2].is_infinite());
    let f = file.tensor_f16("f32").unwrap();
    assert!(f.data()[0].is_infinite());
    assert_eq!(f.data()[1].to_bits(), f16::from_f32(0.1).to_bits());
    assert_eq!(
        file.tensor_f16("f16").unwrap().data()[3].to_bits(),
        f16::from_f32(4.0).to_bits()
    );
    assert!(matches!(
        file.tensor_f16("i32"),
        Err(PasaError::UnsupportedDtype { .. })
    ));
    assert!(matches!(
        file.tensor_f16("rank5"),
        Err(PasaError::UnsupportedRank { .. })
    ));
    assert!(matches!(
        file.tensor_f16("missing"),
        Err(PasaError::Load { .. })
    ));
}
