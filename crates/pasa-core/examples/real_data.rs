//! Runs every preset on real Q/K/V dumps: for each Q/K/V triple of a `.safetensors` file
//! (`P.q`/`P.k`/`P.v` with an optional `P.out`, `query`/`key`/`value`, ...; see
//! `io::qkv_groups`), prints RMSE against the f64 reference, non-finite outputs, the
//! largest |score| and the resonance of Q and K.
//!
//! `cargo run -p pasa-core --release --example real_data -- FILE.safetensors`, e.g. the
//! test fixture `crates/pasa-core/tests/fixtures/minilm_layer0_2heads.safetensors`.

mod preset_table;

use pasa_core::io::SafetensorsFile;
use pasa_core::resonance::resonance;
use pasa_core::{
    AttentionInputs, AttentionParams, ErrorReport, PasaError, Preset, reference_attention,
};
use preset_table::{preset_cells, print_header};

fn main() -> Result<(), PasaError> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: real_data <file.safetensors>");
        return Ok(());
    };
    let file = SafetensorsFile::open(&path)?;
    let params = AttentionParams::default();
    let presets = [
        Preset::Fp32Softmax,
        Preset::NaiveFp16,
        Preset::NaiveFp16Hmma,
        Preset::Pasa,
        Preset::PasaHybrid,
        Preset::PasaAbsolute,
        Preset::PasaKeyMeans,
        Preset::PasaAbsoluteFp32Stats,
    ];
    print_header(
        "| tensors | max abs S | max cos(mean q, mean k) | ref vs stored out (max abs) |",
        presets.map(Preset::name),
    );
    for group in file.qkv_groups()? {
        let t = |name: &str| file.tensor_f16(name);
        let inputs = AttentionInputs::new(t(&group.q)?, t(&group.k)?, t(&group.v)?)?;
        let reference = reference_attention(&inputs, &params)?;
        let stored = match &group.out {
            Some(out) => format!(
                "{:.1e}",
                ErrorReport::compare(&reference, &t(out)?.to_f64()).max_abs
            ),
            None => "-".to_string(),
        };
        let scale = params.scale_for(&inputs.shape());
        let cos = resonance(&inputs, scale)
            .iter()
            .map(|r| r.cos_means.abs())
            .fold(0.0, f64::max);
        let (max_s, row) = preset_cells(&inputs, &params, &reference, &presets, |e| {
            if e.all_finite() {
                format!("{:.1e}", e.rmse)
            } else {
                format!("{} NaN", e.non_finite)
            }
        })?;
        println!(
            "| {} | {max_s:.0} | {cos:.2} | {stored} |{row}",
            group.label
        );
    }
    Ok(())
}
