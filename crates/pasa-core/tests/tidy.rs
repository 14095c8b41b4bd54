//! Architecture invariant checked by code: every rounding of the crate is a named call in
//! `round.rs`, so no other source file contains a float `as` cast.

#[test]
fn no_float_as_casts_outside_round_rs() {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut offenders = Vec::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "round.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains(" as f32") || code.contains(" as f64") || code.contains(" as f16") {
                offenders.push(format!("{}:{}: {line}", path.display(), i + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "float casts outside round.rs:\n{}",
        offenders.join("\n")
    );
}
