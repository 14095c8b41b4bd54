//! Suites: named lists of checks, each a function that measures something and records
//! claims, figures and tables into a [`Recorder`]. Running a suite never aborts: a check
//! that returns an error or panics becomes a failed claim that says why.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::ProgressBar;
use serde::Serialize;

use crate::claim::{Claim, Verdict};
use crate::progress::Progress;

/// Problem sizes: small enough for CI, or the papers' sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Minutes on a 2-core machine.
    Quick,
    /// The papers' sizes.
    Full,
}

impl Mode {
    /// `quick` in quick mode, `full` in full mode.
    pub fn pick<T>(self, quick: T, full: T) -> T {
        match self {
            Self::Quick => quick,
            Self::Full => full,
        }
    }

    /// "quick" or "full".
    #[must_use]
    pub fn name(self) -> &'static str {
        self.pick("quick", "full")
    }
}

/// A check: a function that records claims (and figures, tables) for one topic.
pub type CheckFn = fn(&mut Recorder) -> anyhow::Result<()>;

/// One named check of a suite.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Short name, used in progress output and in the id of an error claim.
    pub name: &'static str,
    /// What it checks, one line (the claim an error stands in for).
    pub about: &'static str,
    /// Whether it is a timing sweep (also run by `cargo xtask bench`).
    pub timing: bool,
    /// The function.
    pub run: CheckFn,
}

/// A named list of checks about one crate or paper.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Name used by `--suite`.
    pub name: &'static str,
    /// Heading in the report.
    pub title: &'static str,
    /// A paragraph for the report: what the suite shows and how to read it.
    pub intro: &'static str,
    /// The checks, run in order.
    pub checks: Vec<Check>,
    /// A user's file the checks read (`--input`); `None` for the papers' suites.
    pub input: Option<PathBuf>,
}

/// An SVG figure produced by a check.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// File name inside the output folder.
    pub file: String,
    /// What it shows and how to read it.
    pub caption: String,
    /// The SVG document.
    #[serde(skip)]
    pub svg: String,
}

/// A table of numbers produced by a check.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// Title shown above it.
    pub title: String,
    /// Column headers.
    pub header: Vec<String>,
    /// Rows of cells, as text.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these headers.
    pub fn new(title: impl Into<String>, header: &[&str]) -> Self {
        Self {
            title: title.into(),
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

/// What a check records: claims, figures, tables, raw numbers and notes.
#[derive(Debug)]
pub struct Recorder {
    suite: &'static str,
    mode: Mode,
    input: Option<PathBuf>,
    progress: Progress,
    claims: Vec<Claim>,
    figures: Vec<Figure>,
    tables: Vec<Table>,
    data: serde_json::Map<String, serde_json::Value>,
    notes: Vec<String>,
}

impl Recorder {
    /// An empty recorder for `suite` in `mode`.
    #[must_use]
    pub fn new(suite: &'static str, mode: Mode, progress: Progress) -> Self {
        Self {
            suite,
            mode,
            input: None,
            progress,
            claims: Vec::new(),
            figures: Vec::new(),
            tables: Vec::new(),
            data: serde_json::Map::new(),
            notes: Vec::new(),
        }
    }

    /// Quick or full sizes.
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The suite's input file, if any (`--input`).
    #[must_use]
    pub fn input(&self) -> Option<&Path> {
        self.input.as_deref()
    }

    /// Records a claim.
    pub fn claim(&mut self, claim: Claim) {
        self.claims.push(claim);
    }

    /// Records a figure saved as `<suite>-<stem>.svg`.
    pub fn figure(&mut self, stem: &str, caption: impl Into<String>, svg: String) {
        self.figures.push(Figure {
            file: format!("{}-{stem}.svg", self.suite),
            caption: caption.into(),
            svg,
        });
    }

    /// Records a table.
    pub fn table(&mut self, table: Table) {
        self.tables.push(table);
    }

    /// Records raw numbers under `key` in results.json.
    ///
    /// # Errors
    /// When `value` cannot be serialised.
    pub fn data(&mut self, key: &str, value: impl Serialize) -> anyhow::Result<()> {
        self.data
            .insert(key.to_owned(), serde_json::to_value(value)?);
        Ok(())
    }

    /// Records a note shown under the suite in the report.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// A progress bar for a loop of `len` steps.
    #[must_use]
    pub fn bar(&self, len: u64, what: &str) -> ProgressBar {
        self.progress.bar(len, what)
    }
}

/// Everything one suite produced.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteResult {
    /// The suite's name.
    pub name: &'static str,
    /// Its heading.
    pub title: &'static str,
    /// Its introduction.
    pub intro: &'static str,
    /// Claims in the order recorded.
    pub claims: Vec<Claim>,
    /// Figures in the order recorded.
    pub figures: Vec<Figure>,
    /// Tables in the order recorded.
    pub tables: Vec<Table>,
    /// Raw numbers by key.
    pub data: serde_json::Map<String, serde_json::Value>,
    /// Notes.
    pub notes: Vec<String>,
    /// Wall time of the whole suite.
    pub seconds: f64,
    /// Wall time of each check, in order.
    pub check_seconds: Vec<(&'static str, f64)>,
}

impl SuiteResult {
    /// The claims that failed (a noisy timing is not a failure).
    pub fn failures(&self) -> impl Iterator<Item = &Claim> {
        self.claims.iter().filter(|c| c.verdict().failed())
    }

    /// The timing claims too noisy to decide on this machine now.
    pub fn noisy(&self) -> impl Iterator<Item = &Claim> {
        self.claims
            .iter()
            .filter(|c| matches!(c.verdict(), Verdict::Noisy(_)))
    }
}

/// Runs every check of `suite`; errors and panics become failed claims.
#[must_use]
pub fn run_suite(suite: &Suite, mode: Mode, progress: &Progress) -> SuiteResult {
    let start = Instant::now();
    let mut rec = Recorder::new(suite.name, mode, progress.clone());
    rec.input.clone_from(&suite.input);
    let bar = progress.bar(suite.checks.len() as u64, suite.name);
    let mut check_seconds = Vec::with_capacity(suite.checks.len());
    for check in &suite.checks {
        bar.set_message(check.name);
        let check_start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| (check.run)(&mut rec)));
        let error = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(format!("{e:#}")),
            Err(panic) => Some(format!("panicked: {}", panic_message(panic.as_ref()))),
        };
        if let Some(error) = error {
            let id = format!("{}.{}", suite.name, check.name);
            rec.claim(Claim::errored(id, check.about, error));
        }
        check_seconds.push((check.name, check_start.elapsed().as_secs_f64()));
        bar.inc(1);
    }
    bar.finish_and_clear();
    SuiteResult {
        name: suite.name,
        title: suite.title,
        intro: suite.intro,
        claims: rec.claims,
        figures: rec.figures,
        tables: rec.tables,
        data: rec.data,
        notes: rec.notes,
        seconds: start.elapsed().as_secs_f64(),
        check_seconds,
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}
