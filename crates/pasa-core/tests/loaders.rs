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

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Hugging Face projection outputs `model.layers.N.self_attn.{q,k,v}_proj` of shape
/// (batch, seq, heads · head_dim): found in layer order, split into heads of `head_dim`,
/// exact f32 values kept (70000 included: reported, not refused).
#[test]
fn hugging_face_projection_outputs() {
    // q: 2 heads of 4, k/v: 1 head of 4; 3 tokens. q[t][c] = 10 t + c.
    let q: Vec<f32> = (0..3)
        .flat_map(|t| (0..8).map(move |c| f32::from(u8::try_from(10 * t + c).unwrap())))
        .collect();
    let mut kv: Vec<f32> = (0..12)
        .map(|i| f32::from(u8::try_from(i).unwrap()))
        .collect();
    let (qb, kvb) = (f32_bytes(&q), f32_bytes(&kv));
    kv[0] = 70000.0;
    let big = f32_bytes(&kv);
    let mut views = Vec::new();
    for layer in [10, 3] {
        let p = format!("model.layers.{layer}.self_attn.");
        let kb = if layer == 3 { &big } else { &kvb };
        views.push((
            format!("{p}q_proj"),
            TensorView::new(Dtype::F32, vec![1, 3, 8], &qb).unwrap(),
        ));
        views.push((
            format!("{p}k_proj"),
            TensorView::new(Dtype::F32, vec![1, 3, 4], kb).unwrap(),
        ));
        views.push((
            format!("{p}v_proj"),
            TensorView::new(Dtype::F32, vec![3, 4], &kvb).unwrap(),
        ));
    }
    views.push((
        "lm_head".into(),
        TensorView::new(Dtype::F32, vec![3, 4], &kvb).unwrap(),
    ));
    let bytes = safetensors::serialize(views, None).unwrap();
    let file = SafetensorsFile::open(temp("hf.safetensors", &bytes)).unwrap();
    let groups = file.qkv_groups().unwrap();
    let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(
        labels,
        ["model.layers.3.self_attn", "model.layers.10.self_attn"]
    );
    assert!(groups.iter().all(|g| g.projections && g.out.is_none()));
    let g = &groups[0];
    assert!(matches!(
        file.source_inputs(g, None),
        Err(PasaError::HeadDimRequired { .. })
    ));
    assert!(matches!(
        file.source_inputs(g, Some(3)),
        Err(PasaError::HiddenNotDivisible {
            hidden: 8,
            head_dim: 3,
            ..
        })
    ));
    let inputs = file.source_inputs(g, Some(4)).unwrap();
    let s = inputs.shape();
    assert_eq!((s.heads, s.kv_heads, s.seq_q, s.head_dim), (2, 1, 3, 4));
    // Head 1, token 2 of q: hidden columns 4..8 of token 2.
    let [q, k, _] = inputs.qkv();
    assert_eq!(q.head(0, 1)[2 * 4..3 * 4], [24.0, 25.0, 26.0, 27.0]);
    assert_eq!(k.data()[0].to_bits(), 70000.0_f64.to_bits());
    assert_eq!(inputs.beyond_f16(), (1, 70000.0));
}

#[test]
fn other_conventions_and_unknown_names() {
    let data = f32_bytes(&[0.5; 8]);
    let view = |shape: Vec<usize>| TensorView::new(Dtype::F32, shape, &data).unwrap();
    let names = [
        "query",
        "key",
        "value",
        "enc.q",
        "enc.k",
        "enc.v",
        "enc.out",
        "x_query_states",
    ];
    let views: Vec<_> = names.iter().map(|n| (*n, view(vec![1, 1, 2, 4]))).collect();
    let bytes = safetensors::serialize(views, None).unwrap();
    let file = SafetensorsFile::open(temp("conv.safetensors", &bytes)).unwrap();
    let groups = file.qkv_groups().unwrap();
    let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(labels, ["enc", "qkv"]);
    assert_eq!(groups[0].out.as_deref(), Some("enc.out"));
    assert!(!groups[1].projections);
    let inputs = file.source_inputs(&groups[1], None).unwrap();
    assert_eq!(inputs.shape().seq_k, 2);

    // No triple: the error lists what the file holds.
    let views = vec![("attn.q", view(vec![2, 4])), ("attn.key", view(vec![2, 4]))];
    let bytes = safetensors::serialize(views, None).unwrap();
    let file = SafetensorsFile::open(temp("none.safetensors", &bytes)).unwrap();
    let err = file.qkv_groups().unwrap_err();
    assert!(
        matches!(&err, PasaError::NoAttentionTensors { found } if found == &["attn.key", "attn.q"]),
        "{err}"
    );
    assert!(err.to_string().contains("attn.key"));
}

#[test]
fn nan_in_a_file_is_a_typed_error() {
    let nan = f32_bytes(&[0.5, f32::NAN, 0.5, 0.5]);
    let ok = f32_bytes(&[0.5; 4]);
    let views = vec![
        ("q", TensorView::new(Dtype::F32, vec![2, 2], &nan).unwrap()),
        ("k", TensorView::new(Dtype::F32, vec![2, 2], &ok).unwrap()),
        ("v", TensorView::new(Dtype::F32, vec![2, 2], &ok).unwrap()),
    ];
    let bytes = safetensors::serialize(views, None).unwrap();
    let file = SafetensorsFile::open(temp("nan.safetensors", &bytes)).unwrap();
    let g = &file.qkv_groups().unwrap()[0];
    assert!(matches!(
        file.source_inputs(g, None),
        Err(PasaError::NonFiniteInput {
            name: "q",
            index: 1,
            count: 1,
            ..
        })
    ));
}

#[test]
fn npy_f64_keeps_source_values() {
    let bytes = f32_bytes(&[70000.0, 0.1]);
    let t = pasa_core::io::load_npy_f64(temp(
        "f.npy",
        &common::npy_bytes("<f4", &[1, 2], false, &bytes),
    ))
    .unwrap();
    assert_eq!(t.data(), [70000.0, f64::from(0.1_f32)]);
}
