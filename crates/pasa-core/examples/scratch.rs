//! scratch
use pasa_core::generate::RandomCase;
use pasa_core::*;
fn main() -> Result<(), PasaError> {
    let params = AttentionParams::default();
    for (bias, amp) in [(5.0, 1.0), (20.0, 2.0)] {
        let inputs = RandomCase::brief(bias, amp, 7).inputs()?;
        let reference = reference_attention(&inputs, &params)?;
        let base = Precision::ALL_FP16;
        let variants: Vec<(&str, Precision)> = vec![
            ("all16", base),
            ("score32", Precision{score: Scalar::F32, ..base}),
            ("score32 vec32", Precision{score: Scalar::F32, vector: Scalar::F32, ..base}),
            ("vec32", Precision{vector: Scalar::F32, ..base}),
            ("stats32", Precision{stats: Scalar::F32, ..base}),
            ("out32", Precision{out: Scalar::F32, ..base}),
        ];
        for (name, prec) in variants {
            let out = attention(&inputs, &Kernel{algorithm: Algorithm::Flash, precision: prec}, &params)?;
            let e = ErrorReport::compare(&out.out, &reference);
            println!("{bias} {amp} {name} rmse {:.3e} max {:.3e}", e.rmse, e.max_abs);
        }
    }
    Ok(())
}
