//! Proves the validation machinery is honest: a deliberately broken claim, fed in through
//! the public suite API (no code edited), is reported as failed with its reason, in the
//! console table, report.md, report.html and results.json, and gives a non-zero exit status;
//! checks that error or panic fail too; an all-passing run exits 0.

use std::fs;

use xtask::claim::{Claim, Source, Threshold};
use xtask::progress::Progress;
use xtask::report;
use xtask::suite::{Check, Mode, Recorder, Suite};
use xtask::validate::run_suites;

fn honest(rec: &mut Recorder) -> anyhow::Result<()> {
    rec.claim(
        Claim::new(
            "selftest.honest",
            "one is at most two",
            Source::project("selftest"),
        )
        .measured(1.0, "")
        .threshold(Threshold::at_most(2.0)),
    );
    Ok(())
}

fn broken(rec: &mut Recorder) -> anyhow::Result<()> {
    rec.claim(
        Claim::new(
            "selftest.broken",
            "the slope is at most 1.1",
            Source::project("selftest"),
        )
        .measured(2.0, "")
        .threshold(Threshold::at_most(1.1)),
    );
    Ok(())
}

fn errors(_: &mut Recorder) -> anyhow::Result<()> {
    anyhow::bail!("input shapes differ")
}

fn panics(_: &mut Recorder) -> anyhow::Result<()> {
    panic!("index out of bounds in a crate under test")
}

fn suite(checks: Vec<Check>) -> Suite {
    Suite {
        name: "selftest",
        title: "Self-test",
        intro: "Checks of the checker.",
        checks,
        input: None,
    }
}

fn check(name: &'static str, run: xtask::suite::CheckFn) -> Check {
    Check {
        name,
        about: "a self-test check",
        timing: false,
        run,
    }
}

#[test]
fn a_broken_claim_fails_the_run_and_says_why() {
    let suites = [suite(vec![
        check("honest", honest),
        check("broken", broken),
        check("errors", errors),
        check("panics", panics),
    ])];
    let run = run_suites(
        &suites,
        Mode::Quick,
        "selftest".to_owned(),
        &Progress::hidden(),
    );

    assert_eq!(
        run.exit_code(),
        1,
        "a failed claim must give a non-zero exit status"
    );
    let failed: Vec<&str> = run.failures().map(|c| c.id.as_str()).collect();
    assert_eq!(
        failed,
        ["selftest.broken", "selftest.errors", "selftest.panics"]
    );

    let console = report::console(&run);
    assert!(console.contains("1 of 4 claims pass"), "{console}");
    assert!(
        console.contains("selftest.broken: measured 2 is > 1.1"),
        "{console}"
    );
    assert!(console.contains("input shapes differ"), "{console}");
    assert!(
        console.contains("index out of bounds in a crate under test"),
        "{console}"
    );

    let dir = std::env::temp_dir().join(format!("xtask-selftest-{}", std::process::id()));
    report::write_all(&run, &dir).expect("report writes to a temp dir");
    let md = fs::read_to_string(dir.join("report.md")).expect("report.md written");
    let html = fs::read_to_string(dir.join("report.html")).expect("report.html written");
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("results.json")).expect("json written"))
            .expect("results.json parses");
    fs::remove_dir_all(&dir).expect("temp dir removable");

    assert!(md.contains("**3 of 4 claims FAIL.**"), "{md}");
    assert!(md.contains("| **FAIL** | `selftest.broken` |"), "{md}");
    assert!(html.contains("<td class=\"fail\">FAIL</td>"));
    assert_eq!(json["passed"], false);
    assert_eq!(json["failed"], 3);
    let claims = json["suites"][0]["claims"]
        .as_array()
        .expect("claims array");
    assert_eq!(claims[1]["id"], "selftest.broken");
    assert_eq!(claims[1]["passed"], false);
    assert_eq!(claims[1]["reason"], "measured 2 is > 1.1");
    assert_eq!(claims[1]["measured"], 2.0);
}

#[test]
fn an_honest_run_exits_zero() {
    let suites = [suite(vec![check("honest", honest)])];
    let run = run_suites(
        &suites,
        Mode::Quick,
        "selftest".to_owned(),
        &Progress::hidden(),
    );
    assert_eq!(run.exit_code(), 0);
    assert!(report::markdown(&run).contains("**All 1 claims pass.**"));
}
