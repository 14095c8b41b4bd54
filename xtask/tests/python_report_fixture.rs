//! The committed answer that the Python package's `overflow_report` is tested against
//! (`crates/pasa-sinkhorn-py/tests/fixtures/report_layers.json`, written by
//! `make_report_fixture.py` beside it from `cargo xtask validate --input --json`) is still
//! what `validate --input` answers on the committed file. With the pytest suite's check
//! that the Python report equals that JSON field by field, the two entry points give the
//! same answer; a change to `pasa_core::overflow_report` fails here until the fixture is
//! regenerated.

use serde_json::Value;
use xtask::input::analyse;
use xtask::project_root;

#[test]
fn validate_input_still_gives_the_committed_answer() {
    let dir = project_root().join("crates/pasa-sinkhorn-py/tests/fixtures");
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("report_layers.json")).expect("committed fixture"),
    )
    .expect("the fixture is JSON");
    let analysis = analyse(&dir.join("report_layers.safetensors")).expect("the file is read");
    // Both sides through the same text round trip (shortest f64 representations, NaN as
    // null), so the comparison is exact.
    let fresh: Value =
        serde_json::from_str(&serde_json::to_string(&analysis).expect("serialisable"))
            .expect("JSON");
    let layers = |v: &Value| v["layers"].as_array().expect("layers").clone();
    assert_eq!(layers(&fresh).len(), 2, "{fresh}");
    for (new, old) in layers(&fresh).iter().zip(layers(&committed).iter()) {
        assert_eq!(
            new, old,
            "validate --input changed its answer; regenerate the fixture with make_report_fixture.py"
        );
    }
    assert_eq!(fresh["verdict"], committed["verdict"]);
    // The cases the fixture exists for: naive FP16 overflows on `biased`, the authors'
    // PASA does not; `beyond` holds a value past 65504 that is reported, not refused.
    let variant = |layer: &Value, name: &str| {
        layer["variants"]
            .as_array()
            .expect("variants")
            .iter()
            .find(|v| v["name"] == name)
            .cloned()
            .expect("every preset is reported")
    };
    let committed_layers = layers(&committed);
    let layer = |name: &str| {
        committed_layers
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("no layer {name}"))
    };
    let (biased, beyond) = (layer("biased"), layer("beyond"));
    assert_eq!(variant(biased, "fp16")["finite"], false);
    assert_eq!(variant(biased, "pasa")["finite"], true);
    assert_eq!(beyond["inputs_beyond_f16"], 1);
}
