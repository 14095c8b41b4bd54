//! What the two table examples (`real_data`, `rmse_table`) share: a Markdown header row,
//! and one row of per-preset cells for one input with the largest |score| of its
//! fp32-softmax run. Not an example of its own (no `main.rs`); each example includes it
//! with `mod preset_table;`.

use std::fmt::Display;

use pasa_core::{
    AttentionInputs, AttentionParams, ErrorReport, PasaError, Preset, Tensor, attention,
};

/// Print `lead` then one ` column |` cell per column, and end the line.
pub fn print_header<C: Display>(lead: &str, columns: impl IntoIterator<Item = C>) {
    print!("{lead}");
    for c in columns {
        print!(" {c} |");
    }
    println!();
}

/// Run every preset on `inputs`; return the largest |score| seen by the
/// [`Preset::Fp32Softmax`] run (0 if it is not among `presets`) and the row's cells, one
/// ` cell(error against reference) |` per preset.
///
/// # Errors
/// Whatever [`attention`] returns.
pub fn preset_cells(
    inputs: &AttentionInputs,
    params: &AttentionParams,
    reference: &Tensor<f64>,
    presets: &[Preset],
    cell: impl Fn(&ErrorReport) -> String,
) -> Result<(f64, String), PasaError> {
    let mut row = String::new();
    let mut max_s = 0.0;
    for &p in presets {
        let out = attention(inputs, &p.kernel(), params)?;
        if p == Preset::Fp32Softmax {
            max_s = out.probe.max_abs_score;
        }
        row += &format!(" {} |", cell(&ErrorReport::compare(&out.out, reference)));
    }
    Ok((max_s, row))
}
