//! Regenerates the RMSE tables of docs/pasa.md: the brief's random benchmarks under every
//! preset, and a beta sweep. `cargo run -p pasa-core --release --example rmse_table`.

use pasa_core::generate::RandomCase;
use pasa_core::{
    Algorithm, AttentionParams, ErrorReport, Kernel, PasaError, PasaParams, Preset, Recovery,
    attention, reference_attention,
};

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
    let presets = [
        Preset::Fp32Softmax,
        Preset::NaiveFp16,
        Preset::NaiveFp16Hmma,
        Preset::Pasa,
        Preset::PasaRelative,
        Preset::PasaKeyMeans,
        Preset::PasaFp32Stats,
    ];
    let cases = [
        (0.0, 1.0),
        (5.0, 1.0),
        (20.0, 2.0),
        (50.0, 4.0),
        (100.0, 4.0),
        (200.0, 2.0),
    ];
    print!("| bias | amp | max abs S (fp32) |");
    for p in presets {
        print!(" {} |", p.name());
    }
    println!();
    for (bias, amp) in cases {
        let inputs = RandomCase::brief(bias, amp, 7).inputs()?;
        let reference = reference_attention(&inputs, &params)?;
        let mut row = String::new();
        let mut max_s = 0.0;
        for p in presets {
            let out = attention(&inputs, &p.kernel(), &params)?;
            if p == Preset::Fp32Softmax {
                max_s = out.probe.max_abs_score;
            }
            row += &format!(" {} |", fmt(&ErrorReport::compare(&out.out, &reference)));
        }
        println!("| {bias} | {amp} | {max_s:.3e} |{row}");
    }
    println!();
    let betas = [0.5, 0.9, 0.9375, 0.96875, 0.99, 0.999, 1.0 - 1.0 / 2048.0];
    for recovery in [
        Recovery::Absolute,
        Recovery::RelativeToFirstBlock,
        Recovery::RelativeKeyMeans,
    ] {
        for stats in [
            pasa_core::Precision::ALL_FP16,
            pasa_core::Precision::FP16_FP32_STATS,
        ] {
            println!("beta sweep, {recovery:?}, stats {:?}", stats.stats);
            print!("| bias, amp |");
            for b in betas {
                print!(" {b} |");
            }
            println!();
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
