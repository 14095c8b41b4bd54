//! The machine description: the shipped preset parses and says what ascend.md says, user
//! descriptions round-trip through serde, and bad values are typed errors naming the field.

use npu_sim::machine::{ASCEND_910B_LIKE_TOML, PRESET_NAMES};
use npu_sim::{Machine, SimError};

#[test]
fn preset_matches_the_public_facts() {
    let m = Machine::ascend910b_like().unwrap();
    assert_eq!(PRESET_NAMES, ["ascend910b-like"]);
    assert_eq!((m.cube_cores, m.vector_cores_per_cube), (24, 2));
    assert_eq!((m.cube.frac_m, m.cube.frac_n, m.cube.frac_k), (16, 16, 16));
    assert!(!m.cube.l0c_f16_accumulation);
    assert_eq!(m.buffers.l1_bytes, 512 * 1024);
    assert_eq!(m.buffers.l0a_bytes, 64 * 1024);
    assert_eq!(m.buffers.l0c_bytes, 128 * 1024);
    assert_eq!(m.buffers.ub_bytes, 192 * 1024);
    // 24 cores x 4096 MAC x 2 FLOP x 1.8 GHz = 353.9 TFLOP/s (ascend.md: "354 I").
    let peak = m.peak_flops() / 1e12;
    assert!((peak - 353.894_4).abs() < 1e-9, "{peak}");
}

#[test]
fn every_preset_number_has_a_source_or_an_assumed_mark() {
    // Each `key = value` line must follow a comment block that names a source key
    // ([ARCH], [PK], ...) or says [A] (assumed).
    let mut context = String::new();
    for line in ASCEND_910B_LIKE_TOML.lines() {
        let t = line.trim();
        if t.starts_with('#') {
            context.push_str(t);
        } else if t.contains('=') && !t.starts_with('[') {
            let key = t.split('=').next().unwrap().trim();
            if key != "name" {
                assert!(
                    context.contains("[A") || context.contains("[S]") || context.contains("[I]"),
                    "`{key}` has no source or assumed mark above it"
                );
            }
        } else if t.is_empty() {
            context.clear();
        }
    }
}

#[test]
fn descriptions_round_trip_through_json() {
    let m = Machine::ascend910b_like().unwrap();
    let json = serde_json::to_string(&m).unwrap();
    let back: Machine = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m);
}

#[test]
fn bad_descriptions_are_typed_errors() {
    let err = Machine::preset("ascend950").unwrap_err();
    assert!(matches!(err, SimError::UnknownPreset { .. }), "{err:?}");
    let broken = ASCEND_910B_LIKE_TOML.replace("clock_ghz = 1.8", "clock_ghz = -1.0");
    let err = Machine::from_toml_str(&broken).unwrap_err();
    assert!(
        matches!(
            err,
            SimError::InvalidMachine {
                field: "clock_ghz",
                ..
            }
        ),
        "{err:?}"
    );
    let broken = ASCEND_910B_LIKE_TOML.replace("ub_bytes = 196608", "ub_bytes = 0");
    let err = Machine::from_toml_str(&broken).unwrap_err();
    assert!(
        matches!(
            err,
            SimError::InvalidMachine {
                field: "buffers.ub_bytes",
                ..
            }
        ),
        "{err:?}"
    );
    let err = Machine::from_toml_str("name = 1").unwrap_err();
    assert!(matches!(err, SimError::MachineParse { .. }), "{err:?}");
    let mut m = Machine::ascend910b_like().unwrap();
    m.vector_cores_per_cube = 300;
    assert!(m.validate().is_err());
}
