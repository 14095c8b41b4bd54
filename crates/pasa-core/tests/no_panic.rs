//! Bad input returns a typed error, never a panic: tensors of arbitrary small shapes
//! (mismatched, zero dimensions, heads that do not group), values that are NaN, infinite or
//! beyond the f16 range, every preset with block sizes 0, 1, odd and huge, causal or not,
//! scales that are NaN, zero, negative or infinite, PASA betas outside (0, 1), the tile
//! steps with wrong slice lengths, and the loaders on garbage bytes.
//!
//! The property is "`Ok` or a typed `PasaError`, no panic". Finiteness of `Ok` outputs is
//! not asserted: FP16 overflow to inf/NaN in the naive presets is the behaviour this crate
//! measures (`Probe`), and the docs promise nothing more. What validation guarantees is
//! checked: `AttentionInputs` that are `Ok` hold only finite values.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use half::f16;
use pasa_core::io::{SafetensorsFile, load_npy_f16};
use pasa_core::steps::running_average::{self as authors, RunningRows};
use pasa_core::steps::{self, TileDims};
use pasa_core::{
    Algorithm, AttentionInputs, AttentionParams, ErrorReport, Kernel, PasaError, PasaParams,
    Precision, Preset, Tensor, attention, reference_attention,
};
use proptest::prelude::*;

/// An f64 input value that is sometimes special (NaN, infinite, beyond f16's 65504).
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        30 => -4.0..4.0f64,
        2 => -300.0..300.0f64,
        1 => Just(0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(70000.0),
        1 => Just(65504.0),
        1 => Just(-65504.0),
        1 => Just(1e-8),
    ]
}

/// Block sizes: zero, one, odd, ordinary, larger than any sequence here, and absurd.
fn block() -> impl Strategy<Value = usize> {
    prop_oneof![
        1 => Just(0usize),
        2 => Just(1usize),
        2 => Just(3usize),
        2 => Just(4usize),
        1 => Just(7usize),
        1 => Just(64usize),
        1 => Just(1usize << 40),
        1 => Just(usize::MAX),
    ]
}

fn scale() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(0.3)),
        1 => Just(Some(0.0)),
        1 => Just(Some(-0.5)),
        1 => Just(Some(f64::NAN)),
        1 => Just(Some(f64::INFINITY)),
        1 => Just(Some(1e10)),
        1 => Just(Some(1e300)),
    ]
}

fn beta() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(0.5)),
        1 => Just(Some(0.0)),
        1 => Just(Some(1.0)),
        1 => Just(Some(-1.0)),
        1 => Just(Some(f64::NAN)),
        1 => Just(Some(1e-300)),
    ]
}

/// A tensor of `shape` whose data length is usually right (sometimes off by one), with
/// ordinary values and, in 15% of the cases, one special value.
fn tensor(shape: [usize; 4]) -> impl Strategy<Value = (Vec<f64>, [usize; 4])> {
    let n: usize = shape.iter().product();
    let len = prop_oneof![18 => Just(n), 1 => Just(n + 1), 1 => Just(n.saturating_sub(1))];
    let data = len.prop_flat_map(|len| {
        (
            prop::collection::vec(-4.0..4.0f64, len),
            0..len.max(1),
            value(),
            prop::bool::weighted(0.15),
        )
    });
    (
        data.prop_map(|(mut v, at, special, spoil)| {
            if spoil && at < v.len() {
                v[at] = special;
            }
            v
        }),
        Just(shape),
    )
}

/// A dimension: mostly 1..=max, sometimes 0.
fn dim(max: usize) -> impl Strategy<Value = usize> {
    prop_oneof![12 => 1..=max, 1 => Just(0usize)]
}

/// Shapes (b, h, kv_h, sq, sk, d, dv), small, with sometimes one dimension of K or V
/// disagreeing with Q and kv heads that may not divide the heads.
fn shapes() -> impl Strategy<Value = ([usize; 4], [usize; 4], [usize; 4])> {
    (
        dim(2),
        dim(4),
        prop_oneof![4 => Just(1usize), 1 => Just(2usize), 1 => Just(3usize), 1 => Just(0usize)],
        dim(6),
        dim(7),
        dim(4),
        dim(3),
        0u8..20,
    )
        .prop_map(|(b, h, hk, sq, sk, d, dv, spoil)| {
            let (q, mut k, mut v) = ([b, h, sq, d], [b, hk, sk, d], [b, hk, sk, dv]);
            match spoil {
                0 => k[0] += 1,
                1 => v[1] += 1,
                2 => v[2] += 1,
                3 => k[3] += 1,
                _ => {}
            }
            (q, k, v)
        })
}

/// Tensors that made valid `AttentionInputs` and reached the kernels.
static RAN: AtomicUsize = AtomicUsize::new(0);

fn f64_tensor((data, shape): &(Vec<f64>, [usize; 4])) -> Option<Tensor<f64>> {
    Tensor::new("t", *shape, data.clone()).ok()
}

/// Every kernel, the reference, the f32 baseline, resonance and the error report on
/// `inputs`; panics only through a bug.
fn run_all(inputs: &AttentionInputs, params: &AttentionParams, beta: Option<f64>) {
    let reference = reference_attention(inputs, params);
    let mut kernels: Vec<Kernel> = Preset::ALL.iter().map(|p| p.kernel()).collect();
    for recovery in [
        pasa_core::Recovery::RunningAverage,
        pasa_core::Recovery::Absolute,
        pasa_core::Recovery::RelativeToFirstBlock,
        pasa_core::Recovery::RelativeKeyMeans,
    ] {
        kernels.push(Kernel {
            algorithm: Algorithm::Pasa(PasaParams { beta, recovery }),
            precision: Precision::ALL_FP16,
        });
    }
    for kernel in &kernels {
        let Ok(out) = attention(inputs, kernel, params) else {
            continue;
        };
        assert_eq!(out.out.shape(), inputs.shape().output_shape());
        if let Ok(reference) = &reference {
            let report = ErrorReport::compare(&out.out, reference);
            assert_eq!(report.total, out.out.data().len());
        }
    }
    let _ = pasa_core::baseline::flash_attention_f32(inputs, params);
    let _ = pasa_core::resonance::resonance(inputs, params.scale.unwrap_or(0.125));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn attention_never_panics(
        (q, k, v) in shapes().prop_flat_map(|(q, k, v)| (tensor(q), tensor(k), tensor(v))),
        block_q in block(),
        block_k in block(),
        causal in prop::bool::weighted(0.3),
        scale in scale(),
        beta in beta(),
    ) {
        let (Some(qt), Some(kt), Some(vt)) = (f64_tensor(&q), f64_tensor(&k), f64_tensor(&v))
        else {
            return Ok(());
        };
        let Ok(inputs) = AttentionInputs::from_f64(&qt, &kt, &vt) else { return Ok(()) };
        for t in [inputs.q(), inputs.k(), inputs.v()] {
            prop_assert!(t.data().iter().all(|x| x.is_finite()), "validated input holds inf/NaN");
        }
        RAN.fetch_add(1, Ordering::Relaxed);
        let params = AttentionParams { block_q, block_k, causal, scale };
        run_all(&inputs, &params, beta);
    }

    /// `ErrorReport::compare` pairs tensors of any two shapes without panicking.
    #[test]
    fn error_report_never_panics(
        a in (0usize..3, 0usize..3, 0usize..4, 0usize..4)
            .prop_flat_map(|(b, h, s, d)| tensor([b, h, s, d])),
        b in (0usize..3, 0usize..3, 0usize..4, 0usize..4)
            .prop_flat_map(|(b, h, s, d)| tensor([b, h, s, d])),
    ) {
        if let (Some(a), Some(b)) = (f64_tensor(&a), f64_tensor(&b)) {
            let r = ErrorReport::compare(&a, &b);
            prop_assert_eq!(r.total, a.data().len());
            prop_assert!(r.non_finite <= r.total);
        }
    }

    /// The tile steps with slices whose lengths may disagree with the dimensions.
    #[test]
    fn tile_steps_never_panic(
        dims in (0usize..4, 0usize..5, 0usize..4, 0usize..4),
        lens in prop::collection::vec(0usize..24, 12),
        fill in value(),
        scale in scale(),
        beta in prop_oneof![Just(0.5), Just(0.0), Just(1.0), Just(f64::NAN), Just(-3.0)],
        precision in prop_oneof![
            Just(Precision::ALL_FP16),
            Just(Precision::ALL_FP16_HMMA),
            Just(Precision::FP32_SOFTMAX),
            Just(Precision::FP16_FP32_STATS),
        ],
    ) {
        let (rows, keys, head_dim, value_dim) = dims;
        let dims = TileDims { rows, keys, head_dim, value_dim };
        let scale = scale.unwrap_or(0.5);
        let f = fill as f32;
        let buf = |i: usize| vec![f; lens[i]];
        let (mut a, mut b, c, d) = (buf(0), buf(1), buf(2), buf(3));
        let (mut m, mut l, mut alpha) = (buf(4), buf(5), buf(6));
        let visible: Vec<usize> = (0..lens[7]).map(|i| i % 5).collect();
        let src = vec![f16::from_f64(fill); lens[8]];
        let prec = &precision;
        let _ = steps::load_tile_in_place(&mut a, &src);
        steps::scale_query_in_place(&mut a, scale, prec);
        let _ = steps::shifting_matrix_in_place(&mut a, keys, beta, prec);
        let _ = steps::shift_keys_in_place(&mut a, &c, &d, dims, prec);
        let _ = steps::score_tile_in_place(&mut a, &c, &d, scale, dims, prec);
        let _ = steps::row_mean_in_place(&mut b, &c, dims, prec);
        let _ = steps::mask_in_place(&mut a, &visible, dims);
        let _ = steps::recover_shift_in_place(&mut a, &c, None, beta, prec);
        let _ = steps::recover_shift_in_place(&mut a, &c, Some(&d), beta, prec);
        let _ = steps::key_mean_difference_in_place(&mut a, &c, &d, dims, prec);
        let _ = steps::recover_shift_from_keys_in_place(&mut a, &c, &d, scale, beta, dims, prec);
        let _ = steps::flash_softmax_in_place(&mut a, &mut m, &mut l, &mut alpha, dims, prec);
        let _ = steps::pasa_softmax_in_place(&mut a, &c, &mut m, &mut l, &mut alpha, dims, prec);
        let _ = steps::pv_tile_in_place(&mut a, &c, &d, dims, prec);
        let _ = steps::rescale_accumulate_in_place(&mut a, &c, &d, dims, prec);
        let _ = steps::finalize_in_place(&mut a, &c, dims, prec);
        let _ = authors::scaled_shifting_matrix_in_place(&mut a, keys, beta, scale, prec);
        let _ = authors::shifted_score_tile_in_place(&mut a, &c, &d, dims, prec);
        let _ = authors::mask_padding_in_place(&mut a, &visible, keys / 2, dims, prec);
        let (mut avg, mut keep) = (buf(1), buf(2));
        let mut take = buf(3);
        let state = RunningRows {
            m: &mut m,
            l: &mut l,
            average: &mut avg,
            keep: &mut keep,
            take: &mut take,
        };
        let gamma: f32 = authors::recovery_factor(beta, prec);
        let _ = authors::running_average_softmax_in_place(
            &mut a, &c, &visible, state, lens[0] % 3, gamma, dims, prec,
        );
        let _ = authors::merge_output_in_place(&mut a, &c, &d, &b, lens[1] % 2, dims, prec);
        let _ = pasa_core::matmul::transpose_in_place(&mut b, &c, rows, keys);
        // The same steps on buffers sized from the dimensions must all be Ok.
        let (r, s, hd, vd) = (rows, keys, head_dim, value_dim);
        let mut scores = vec![f; r * s];
        let q = vec![f; r * hd];
        let k_t = vec![f; hd * s];
        let (mut m, mut l, mut alpha) = (vec![f32::NEG_INFINITY; r], vec![0.0; r], vec![0.0; r]);
        let mut pv = vec![0.0; r * vd];
        let mut o = vec![0.0; r * vd];
        let vals = vec![f; s * vd];
        let visible = vec![s / 2; r];
        prop_assert!(steps::score_tile_in_place(&mut scores, &q, &k_t, scale, dims, prec).is_ok());
        prop_assert!(steps::mask_in_place(&mut scores, &visible, dims).is_ok());
        let softmax =
            steps::flash_softmax_in_place(&mut scores, &mut m, &mut l, &mut alpha, dims, prec);
        prop_assert!(softmax.is_ok());
        prop_assert!(steps::pv_tile_in_place(&mut pv, &scores, &vals, dims, prec).is_ok());
        prop_assert!(steps::rescale_accumulate_in_place(&mut o, &alpha, &pv, dims, prec).is_ok());
        prop_assert!(steps::finalize_in_place(&mut o, &l, dims, prec).is_ok());
    }

    /// Garbage bytes (random, or a valid header over random data) named `.npy` and
    /// `.safetensors`.
    #[test]
    fn loaders_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        descr in prop_oneof![
            Just("<f2"), Just("<f4"), Just("<f8"), Just("<i4"), Just(">f4"), Just("|u1"),
        ],
        shape in prop::collection::vec(0usize..5, 0..6),
        huge in prop::bool::weighted(0.2),
        fortran in prop::bool::weighted(0.2),
    ) {
        let dir = std::env::temp_dir();
        let tag = format!("{}-{:x}", std::process::id(), bytes.len() * 977 + shape.len());
        let raw_npy = dir.join(format!("pasa-no-panic-{tag}.npy"));
        std::fs::write(&raw_npy, &bytes).unwrap();
        let _ = load_npy_f16(&raw_npy);
        let mut shape = shape;
        if huge && !shape.is_empty() {
            let at = bytes.len() % shape.len();
            shape[at] = usize::MAX / 2;
        }
        let npy = common::npy_bytes(descr, &shape, fortran, &bytes);
        std::fs::write(&raw_npy, &npy).unwrap();
        let _ = load_npy_f16(&raw_npy);
        let _ = std::fs::remove_file(&raw_npy);

        let st = dir.join(format!("pasa-no-panic-{tag}.safetensors"));
        std::fs::write(&st, &bytes).unwrap();
        if let Ok(f) = SafetensorsFile::open(&st) {
            for name in f.names().unwrap_or_default() {
                let _ = f.tensor_f16(&name);
            }
        }
        let dtype = ["F16", "BF16", "F32", "F64", "I8", "U8"][bytes.len() % 6];
        let header = format!(
            "{{\"t\":{{\"dtype\":\"{dtype}\",\"shape\":{shape:?},\"data_offsets\":[0,{}]}}}}",
            bytes.len()
        );
        let mut file = (header.len() as u64).to_le_bytes().to_vec();
        file.extend_from_slice(header.as_bytes());
        file.extend_from_slice(&bytes);
        std::fs::write(&st, &file).unwrap();
        if let Ok(f) = SafetensorsFile::open(&st) {
            let _ = f.names();
            let _ = f.tensor_f16("t");
            let _ = f.tensor_f16("missing");
        }
        let _ = std::fs::remove_file(&st);
        let _ = load_npy_f16(dir.join("pasa-no-panic-does-not-exist.npy"));
        let _ = SafetensorsFile::open(dir.join("pasa-no-panic-does-not-exist.safetensors"));
    }
}

/// Regression (found by `loaders_never_panic`): a shape whose element count overflows
/// `usize` panicked with "attempt to multiply with overflow" in `Tensor::new`; it is now
/// `DataLength` with `expected = usize::MAX`, and a zero dimension still makes it 0.
#[test]
fn tensor_shape_products_that_overflow_are_typed_errors() {
    for shape in [
        [usize::MAX, 2, 1, 1],
        [1 << 32, 1 << 32, 1, 1],
        [usize::MAX, usize::MAX, usize::MAX, usize::MAX],
    ] {
        assert!(matches!(
            Tensor::<f64>::new("t", shape, vec![]),
            Err(PasaError::DataLength {
                expected: usize::MAX,
                len: 0,
                ..
            })
        ));
    }
    assert!(Tensor::<f64>::new("t", [usize::MAX, 2, 0, 2], vec![]).is_ok());
}

/// Regression (found by `loaders_never_panic`): a `.npy` header whose shape multiplies out
/// beyond `u64` panicked inside `npyz` (overflow in its element count and strides); it is
/// now `PasaError::Load`. An ordinary shape next to it still loads.
#[test]
fn npy_header_with_overflowing_shape_is_a_load_error() {
    let dir = std::env::temp_dir();
    let path = dir.join(format!("pasa-no-panic-{}-overflow.npy", std::process::id()));
    for shape in [
        vec![usize::MAX / 2, 3],
        vec![0, usize::MAX / 2, 3],
        vec![1 << 40, 1 << 40],
    ] {
        std::fs::write(&path, common::npy_bytes("<f2", &shape, false, &[])).unwrap();
        assert!(
            matches!(load_npy_f16(&path), Err(PasaError::Load { .. })),
            "{shape:?}"
        );
    }
    let data: Vec<u8> = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    std::fs::write(&path, common::npy_bytes("<f4", &[2, 3], false, &data)).unwrap();
    assert_eq!(load_npy_f16(&path).unwrap().shape(), [1, 1, 2, 3]);
    let _ = std::fs::remove_file(&path);
}

fn small_inputs() -> AttentionInputs {
    let data = |n: usize, seed: usize| -> Vec<f64> {
        (0..n)
            .map(|i| ((i * 7 + seed) % 11) as f64 * 0.25 - 1.0)
            .collect()
    };
    let q = Tensor::new("q", [1, 2, 5, 4], data(40, 1)).unwrap();
    let k = Tensor::new("k", [1, 1, 7, 4], data(28, 2)).unwrap();
    let v = Tensor::new("v", [1, 1, 7, 3], data(21, 3)).unwrap();
    AttentionInputs::from_f64(&q, &k, &v).unwrap()
}

fn bits(t: &Tensor<f64>) -> Vec<u64> {
    t.data().iter().map(|x| x.to_bits()).collect()
}

/// Regression (found by `attention_never_panics`): `block_k = 2^40` or `usize::MAX` aborted
/// the process allocating its tiles (or overflowed `block_k²`), and so did `block_q = 2^40`
/// (the workspace was sized by `block_q`, not by the rows a block can hold). A huge `block_k`
/// is now `BlockTooLarge`; a huge `block_q` is one query block, bit-identical to
/// `block_q = seq_q`.
#[test]
fn huge_blocks_are_an_error_or_one_block_never_an_abort() {
    let inputs = small_inputs();
    for block_k in [1 << 40, usize::MAX] {
        let params = AttentionParams {
            block_q: 4,
            block_k,
            ..AttentionParams::default()
        };
        for preset in Preset::ALL {
            assert!(matches!(
                attention(&inputs, &preset.kernel(), &params),
                Err(PasaError::BlockTooLarge {
                    what: "block_k",
                    ..
                })
            ));
        }
        assert!(matches!(
            reference_attention(&inputs, &params),
            Err(PasaError::BlockTooLarge { .. })
        ));
    }
    for preset in Preset::ALL {
        let run = |block_q| {
            let params = AttentionParams {
                block_q,
                block_k: 3,
                causal: true,
                scale: None,
            };
            attention(&inputs, &preset.kernel(), &params).unwrap()
        };
        let one_block = run(5);
        for block_q in [1 << 40, usize::MAX] {
            let huge = run(block_q);
            assert_eq!(bits(&huge.out), bits(&one_block.out), "{preset:?}");
            assert_eq!(huge.probe, one_block.probe);
        }
    }
}

/// A NaN or infinite softmax scale made every output NaN (`Ok`); it is now
/// `NonFiniteScale`. Zero and negative scales are finite and still run.
#[test]
fn non_finite_scale_is_a_typed_error() {
    let inputs = small_inputs();
    for scale in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let params = AttentionParams {
            scale: Some(scale),
            ..AttentionParams::default()
        };
        for preset in Preset::ALL {
            assert!(matches!(
                attention(&inputs, &preset.kernel(), &params),
                Err(PasaError::NonFiniteScale { .. })
            ));
        }
        assert!(matches!(
            reference_attention(&inputs, &params),
            Err(PasaError::NonFiniteScale { .. })
        ));
    }
    for scale in [0.0, -0.5] {
        let params = AttentionParams {
            scale: Some(scale),
            ..AttentionParams::default()
        };
        let out = reference_attention(&inputs, &params).unwrap();
        assert!(out.data().iter().all(|x| x.is_finite()));
    }
}

#[test]
fn the_properties_reach_the_kernels() {
    // Re-run here so the count does not depend on test order.
    attention_never_panics();
    assert!(
        RAN.load(Ordering::Relaxed) >= 40,
        "only {} generated inputs were valid",
        RAN.load(Ordering::Relaxed)
    );
}
