//! Regenerates the RMSE tables of docs/pasa.md: random benchmarks (`q, k = bias +
//! amp N(0,1)`, d = 128, one head, 1024 keys and the ragged 1040) under every preset, and
//! a beta sweep per recovery. `cargo run -p pasa-core --release --example rmse_table`.

mod preset_table;

use pasa_core::generate::RandomCase;
use pasa_core::{
    Algorithm, AttentionParams, ErrorReport, Kernel, PasaError, PasaParams, Precision, Preset,
    Recovery, attention, reference_attention,
};
use preset_table::{preset_cells, print_header};

fn fmt(r: &ErrorReport) -> String {
    if r.non_finite == r.total {
        "all NaN".to_string()
    } else if r.non_finite > 0 {
        format!("{:.1e} ({} NaN)", r.rmse, r.non_finite)
    } else {
        format!("{:.1e}", r.rmse)
    }
}

fn main() -> Result<(), PasaError> {
    let params = AttentionParams::default();
    // Every preset but the two f64 ones.
    let presets: Vec<Preset> = Preset::ALL
        .into_iter()
        .filter(|p| p.kernel().precision != Precision::EXACT)
        .collect();
    let cases = [
        (0.0, 1.0),
        (5.0, 1.0),
        (20.0, 2.0),
        (50.0, 4.0),
        (100.0, 4.0),
        (200.0, 2.0),
    ];
    print_header(
        "| bias | amp | seq | max abs S |",
        presets.iter().map(|p| p.name()),
    );
    for (bias, amp) in cases {
        for seq in [1024, 1040] {
            let inputs = RandomCase::brief(bias, amp, 7).with_seq(seq).inputs()?;
            let reference = reference_attention(&inputs, &params)?;
            let (max_s, row) = preset_cells(&inputs, &params, &reference, &presets, fmt)?;
            println!("| {bias} | {amp} | {seq} | {max_s:.3e} |{row}");
        }
    }
    println!();
    let betas = [
        0.5,
        0.9,
        0.9375,
        0.968_993_9,
        0.96875,
        0.984_497,
        0.99,
        0.999,
        1.0 - 1.0 / 2048.0,
    ];
    for recovery in [
        Recovery::RunningAverage,
        Recovery::Absolute,
        Recovery::RelativeToFirstBlock,
        Recovery::RelativeKeyMeans,
    ] {
        for stats in [Precision::ALL_FP16, Precision::FP16_FP32_STATS] {
            println!("beta sweep, {recovery:?}, stats {:?}", stats.stats);
            print_header("| bias, amp |", betas);
            for (bias, amp) in [(5.0, 1.0), (50.0, 4.0), (100.0, 4.0), (200.0, 2.0)] {
                let inputs = RandomCase::brief(bias, amp, 7).inputs()?;
                let reference = reference_attention(&inputs, &params)?;
                print!("| {bias}, {amp} |");
                for beta in betas {
                    let kernel = Kernel {
                        algorithm: Algorithm::Pasa(PasaParams {
                            beta: Some(beta),
                            recovery,
                        }),
                        precision: stats,
                    };
                    let out = attention(&inputs, &kernel, &params)?;
                    print!(" {} |", fmt(&ErrorReport::compare(&out.out, &reference)));
                }
                println!();
            }
        }
    }
    Ok(())
}
