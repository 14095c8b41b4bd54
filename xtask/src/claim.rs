//! A claim: one statement from a paper, the number measured for it here, and the threshold
//! that number must meet. The verdict is computed from those, never set by hand, so a
//! report cannot say "pass" for a number that misses its threshold.
//!
//! A timing claim also carries the noise measured with it ([`TimingNoise`]): how far the
//! number could move on this machine right now. A timing that misses its threshold by less
//! than that, after re-measuring, is [`Verdict::Noisy`] (undecided under this load), apart
//! from one that misses it by more, which has regressed ([`Verdict::Fail`]).

use std::fmt;

use serde::Serialize;

/// Where a claim's statement comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum Source {
    /// Stated by the paper (its abstract or a quoted result); the detail cites it.
    Paper(String),
    /// Our reconstruction of a part of the paper that could not be read; the detail says
    /// what it rests on.
    Reconstruction(String),
    /// A target this project set for itself (an issue's "what must be shown").
    Project(String),
}

impl Source {
    /// A statement of the paper.
    pub fn paper(cite: impl Into<String>) -> Self {
        Self::Paper(cite.into())
    }

    /// A statement of our reconstruction.
    pub fn reconstruction(basis: impl Into<String>) -> Self {
        Self::Reconstruction(basis.into())
    }

    /// A target of this project.
    pub fn project(basis: impl Into<String>) -> Self {
        Self::Project(basis.into())
    }

    /// Short label for tables: "paper", "reconstruction" or "project".
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Self::Paper(_) => "paper",
            Self::Reconstruction(_) => "reconstruction",
            Self::Project(_) => "project",
        }
    }

    /// The citation or basis.
    #[must_use]
    pub fn detail(&self) -> &str {
        match self {
            Self::Paper(s) | Self::Reconstruction(s) | Self::Project(s) => s,
        }
    }
}

/// How the measured value is compared with the threshold's value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// measured <= value
    AtMost,
    /// measured < value
    Below,
    /// measured >= value
    AtLeast,
    /// measured > value
    Above,
    /// |measured - value| <= tolerance
    Within {
        /// Largest accepted absolute difference.
        tolerance: f64,
    },
    /// low <= measured <= value
    Between {
        /// Smallest accepted value.
        low: f64,
    },
}

/// The test a measured value must pass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Threshold {
    /// How to compare.
    pub comparator: Comparator,
    /// What to compare with.
    pub value: f64,
}

impl Threshold {
    /// measured <= `value`.
    #[must_use]
    pub fn at_most(value: f64) -> Self {
        Self {
            comparator: Comparator::AtMost,
            value,
        }
    }

    /// measured < `value`.
    #[must_use]
    pub fn below(value: f64) -> Self {
        Self {
            comparator: Comparator::Below,
            value,
        }
    }

    /// measured >= `value`.
    #[must_use]
    pub fn at_least(value: f64) -> Self {
        Self {
            comparator: Comparator::AtLeast,
            value,
        }
    }

    /// measured > `value`.
    #[must_use]
    pub fn above(value: f64) -> Self {
        Self {
            comparator: Comparator::Above,
            value,
        }
    }

    /// |measured - `value`| <= `tolerance`.
    #[must_use]
    pub fn within(value: f64, tolerance: f64) -> Self {
        Self {
            comparator: Comparator::Within { tolerance },
            value,
        }
    }

    /// `low` <= measured <= `high`.
    #[must_use]
    pub fn between(low: f64, high: f64) -> Self {
        Self {
            comparator: Comparator::Between { low },
            value: high,
        }
    }

    /// Whether `measured` passes. NaN never passes.
    #[must_use]
    pub fn admits(&self, measured: f64) -> bool {
        if measured.is_nan() {
            return false;
        }
        match self.comparator {
            Comparator::AtMost => measured <= self.value,
            Comparator::Below => measured < self.value,
            Comparator::AtLeast => measured >= self.value,
            Comparator::Above => measured > self.value,
            Comparator::Within { tolerance } => (measured - self.value).abs() <= tolerance,
            Comparator::Between { low } => (low..=self.value).contains(&measured),
        }
    }

    /// Whether some value within `margin` of `measured` passes: the measured value, moved
    /// by at most its noise, could meet the threshold. NaN never passes.
    #[must_use]
    pub fn admits_within(&self, measured: f64, margin: f64) -> bool {
        if measured.is_nan() || margin.is_nan() {
            return false;
        }
        let m = margin.abs();
        match self.comparator {
            Comparator::AtMost => measured - m <= self.value,
            Comparator::Below => measured - m < self.value,
            Comparator::AtLeast => measured + m >= self.value,
            Comparator::Above => measured + m > self.value,
            Comparator::Within { tolerance } => (measured - self.value).abs() <= tolerance + m,
            Comparator::Between { low } => measured + m >= low && measured - m <= self.value,
        }
    }

    /// The comparison a failing value broke, e.g. "> 1.00e-3" for an at-most threshold.
    fn negation(&self) -> String {
        match self.comparator {
            Comparator::AtMost => format!("> {}", fmt_num(self.value)),
            Comparator::Below => format!(">= {}", fmt_num(self.value)),
            Comparator::AtLeast => format!("< {}", fmt_num(self.value)),
            Comparator::Above => format!("<= {}", fmt_num(self.value)),
            Comparator::Within { tolerance } => {
                format!(
                    "off {} by more than {}",
                    fmt_num(self.value),
                    fmt_num(tolerance)
                )
            }
            Comparator::Between { low } => {
                format!("outside [{}, {}]", fmt_num(low), fmt_num(self.value))
            }
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = fmt_num(self.value);
        match self.comparator {
            Comparator::AtMost => write!(f, "<= {v}"),
            Comparator::Below => write!(f, "< {v}"),
            Comparator::AtLeast => write!(f, ">= {v}"),
            Comparator::Above => write!(f, "> {v}"),
            Comparator::Within { tolerance } => write!(f, "{v} ± {}", fmt_num(tolerance)),
            Comparator::Between { low } => write!(f, "in [{}, {v}]", fmt_num(low)),
        }
    }
}

/// The noise of a timing claim's measured value, measured in the same run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimingNoise {
    /// How far the measured value could be off, in its unit: derived from the spread of
    /// the fastest repeats of each timing it rests on (`crate::interleave`).
    pub margin: f64,
    /// How many times the check measured it (re-measuring only while it missed the
    /// threshold).
    pub attempts: usize,
}

/// Pass, noisy or fail, with the reason for the last two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    /// The measured value meets the threshold.
    Pass,
    /// A timing missed the threshold, but by less than the noise measured with it, even
    /// after re-measuring: this machine was too busy to decide. Not a failure (the exit
    /// status stays 0); the string says by how much and suggests a quieter re-run.
    Noisy(String),
    /// It does not meet the threshold (for a timing: by more than its noise, so it has
    /// regressed), or the check could not measure it; the string says why.
    Fail(String),
}

impl Verdict {
    /// Whether this is a pass.
    #[must_use]
    pub fn passed(&self) -> bool {
        matches!(self, Self::Pass)
    }

    /// Whether this is a failure (a noisy timing is not).
    #[must_use]
    pub fn failed(&self) -> bool {
        matches!(self, Self::Fail(_))
    }

    /// "PASS", "NOISY" or "FAIL".
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Noisy(_) => "NOISY",
            Self::Fail(_) => "FAIL",
        }
    }

    /// Why it did not pass (`None` for a pass).
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Pass => None,
            Self::Noisy(r) | Self::Fail(r) => Some(r),
        }
    }
}

/// A paper's claim that our measurement does not reproduce: what the paper says and why
/// ours differs. The claim's threshold then pins *our* number, so that a change of it is
/// noticed ([`Outcome::Regression`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotReproduced {
    /// What the paper (or the authors' script) states, with its number if it gives one.
    pub paper: String,
    /// The investigated reason ours differs.
    pub reason: String,
}

/// What a claim came to: the paper's statement reproduced, not reproduced (our pinned
/// measurement differs, for a stated reason), or a regression (the measurement misses its
/// threshold: fails the run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The measurement meets the paper's statement.
    Reproduced,
    /// The measurement meets our pinned number, which differs from the paper's.
    NotReproduced,
    /// The measurement misses its threshold.
    Regression,
}

impl Outcome {
    /// "reproduced", "not reproduced" or "regression".
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Reproduced => "reproduced",
            Self::NotReproduced => "not reproduced",
            Self::Regression => "regression",
        }
    }
}

/// One checked statement.
#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    /// Stable dotted id, `suite.topic.detail`.
    pub id: String,
    /// The statement, in the paper's terms.
    pub statement: String,
    /// Where the statement comes from.
    pub source: Source,
    /// The value measured here (NaN when it could not be measured).
    pub measured: f64,
    /// Unit of `measured` and of the threshold ("" for pure numbers).
    pub unit: String,
    /// The test `measured` must pass.
    pub threshold: Threshold,
    /// Conditions of the measurement, caveats.
    pub notes: Vec<String>,
    /// Why the check could not measure (set by [`Claim::errored`]).
    pub error: Option<String>,
    /// Set when the paper's statement is not reproduced ([`Claim::not_reproduced`]).
    pub not_reproduced: Option<NotReproduced>,
    /// For a timing claim: the noise measured with the value (set by [`Claim::noise`]).
    pub noise: Option<TimingNoise>,
}

impl Claim {
    /// A claim with nothing measured yet; give it a value with [`Claim::measured`] and a
    /// test with [`Claim::threshold`]. Until then it fails.
    pub fn new(id: impl Into<String>, statement: impl Into<String>, source: Source) -> Self {
        Self {
            id: id.into(),
            statement: statement.into(),
            source,
            measured: f64::NAN,
            unit: String::new(),
            threshold: Threshold::at_most(f64::NAN),
            notes: Vec::new(),
            error: None,
            not_reproduced: None,
            noise: None,
        }
    }

    /// A claim whose check failed before it could measure anything.
    pub fn errored(id: impl Into<String>, statement: impl Into<String>, error: String) -> Self {
        let mut claim = Self::new(id, statement, Source::project("the check itself"));
        claim.error = Some(error);
        claim
    }

    /// Sets the measured value and its unit.
    #[must_use]
    pub fn measured(mut self, value: f64, unit: impl Into<String>) -> Self {
        self.measured = value;
        self.unit = unit.into();
        self
    }

    /// Sets the threshold.
    #[must_use]
    pub fn threshold(mut self, threshold: Threshold) -> Self {
        self.threshold = threshold;
        self
    }

    /// Marks a timing claim: its measured value could be off by `margin` (its unit) on this
    /// machine now, after `attempts` measurements. A miss within the margin is
    /// [`Verdict::Noisy`], a larger one [`Verdict::Fail`].
    #[must_use]
    pub fn noise(mut self, margin: f64, attempts: usize) -> Self {
        self.noise = Some(TimingNoise { margin, attempts });
        self
    }

    /// Adds a note (conditions of the measurement, a caveat).
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Marks the paper's statement as not reproduced here: `paper` is what it states,
    /// `reason` why ours differs; the threshold must pin our own measurement.
    #[must_use]
    pub fn not_reproduced(mut self, paper: impl Into<String>, reason: impl Into<String>) -> Self {
        self.not_reproduced = Some(NotReproduced {
            paper: paper.into(),
            reason: reason.into(),
        });
        self
    }

    /// Reproduced, not reproduced, or regression (any failed verdict).
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        if self.verdict().failed() {
            Outcome::Regression
        } else if self.not_reproduced.is_some() {
            Outcome::NotReproduced
        } else {
            Outcome::Reproduced
        }
    }

    /// Pass, noisy or fail, and why.
    #[must_use]
    pub fn verdict(&self) -> Verdict {
        if let Some(error) = &self.error {
            return Verdict::Fail(format!("the check failed to run: {error}"));
        }
        if self.threshold.value.is_nan() {
            return Verdict::Fail("no threshold was set".to_owned());
        }
        if self.measured.is_nan() {
            return Verdict::Fail("nothing was measured (NaN)".to_owned());
        }
        if self.threshold.admits(self.measured) {
            return Verdict::Pass;
        }
        let unit = unit_suffix(&self.unit);
        let missed = format!(
            "measured {}{unit} is {}{unit}",
            fmt_num(self.measured),
            self.threshold.negation()
        );
        match self.noise {
            None => Verdict::Fail(missed),
            Some(noise) => {
                let context = format!(
                    "the noise measured with it, ±{}{unit} after {} measurement(s)",
                    fmt_num(noise.margin),
                    noise.attempts
                );
                if self.threshold.admits_within(self.measured, noise.margin) {
                    Verdict::Noisy(format!(
                        "{missed}, within {context}: too busy a machine to decide; re-run on a quieter one"
                    ))
                } else {
                    Verdict::Fail(format!("regressed: {missed}, beyond {context}"))
                }
            }
        }
    }

    /// The measured value with its unit (and ± its noise for a timing), for tables.
    #[must_use]
    pub fn measured_text(&self) -> String {
        if self.error.is_some() {
            return "error".to_owned();
        }
        let unit = unit_suffix(&self.unit);
        match self.noise {
            Some(n) => format!("{} ± {}{unit}", fmt_num(self.measured), fmt_num(n.margin)),
            None => format!("{}{unit}", fmt_num(self.measured)),
        }
    }

    /// The threshold with its unit, for tables.
    #[must_use]
    pub fn threshold_text(&self) -> String {
        format!("{}{}", self.threshold, unit_suffix(&self.unit))
    }
}

fn unit_suffix(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

/// Formats a number with three significant digits: plain for moderate magnitudes,
/// scientific otherwise; integers print as integers.
#[must_use]
pub fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "inf".to_owned()
        } else {
            "-inf".to_owned()
        };
    }
    let a = x.abs();
    if a < 1e15 && (x - x.round()).abs() < f64::EPSILON * a.max(1.0) {
        return format!("{x:.0}");
    }
    if (1e-2..1e5).contains(&a) {
        let digits = 2 - a.log10().floor() as i32;
        let digits = usize::try_from(digits.max(0)).unwrap_or(0);
        let text = format!("{x:.digits$}");
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            text
        }
    } else {
        let text = format!("{x:.2e}");
        match text.split_once('e') {
            Some((mantissa, exp)) if mantissa.contains('.') => {
                format!(
                    "{}e{exp}",
                    mantissa.trim_end_matches('0').trim_end_matches('.')
                )
            }
            _ => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(measured: f64, threshold: Threshold) -> Claim {
        Claim::new("t.c", "a statement", Source::project("test"))
            .measured(measured, "s")
            .threshold(threshold)
    }

    #[test]
    fn verdict_follows_the_comparator() {
        assert!(claim(1.0, Threshold::at_most(1.0)).verdict().passed());
        assert!(!claim(1.0, Threshold::below(1.0)).verdict().passed());
        assert!(claim(2.0, Threshold::at_least(2.0)).verdict().passed());
        assert!(!claim(2.0, Threshold::above(2.0)).verdict().passed());
        assert!(claim(1.05, Threshold::within(1.0, 0.1)).verdict().passed());
        assert!(!claim(1.2, Threshold::within(1.0, 0.1)).verdict().passed());
        assert!(claim(1.2, Threshold::between(1.2, 1.65)).verdict().passed());
        assert!(!claim(1.1, Threshold::between(1.2, 1.65)).verdict().passed());
    }

    #[test]
    fn failures_say_why() {
        let v = claim(3.0, Threshold::at_most(1.1)).verdict();
        assert_eq!(v, Verdict::Fail("measured 3 s is > 1.1 s".to_owned()));
        let nan = claim(f64::NAN, Threshold::at_most(1.0)).verdict();
        assert!(matches!(nan, Verdict::Fail(r) if r.contains("NaN")));
        let unset = Claim::new("t.u", "s", Source::project("test")).measured(0.0, "");
        assert!(!unset.verdict().passed());
        let err = Claim::errored("t.e", "s", "shape mismatch".to_owned());
        assert!(matches!(err.verdict(), Verdict::Fail(r) if r.contains("shape mismatch")));
    }

    #[test]
    fn outcomes_follow_the_verdict_and_the_pin() {
        assert_eq!(
            claim(0.0, Threshold::at_most(0.0)).outcome(),
            Outcome::Reproduced
        );
        let pinned = claim(7.0, Threshold::within(7.0, 0.0))
            .not_reproduced("0 failing cells", "FP16 row statistics");
        assert_eq!(pinned.outcome(), Outcome::NotReproduced);
        let moved = claim(8.0, Threshold::within(7.0, 0.0))
            .not_reproduced("0 failing cells", "FP16 row statistics");
        assert_eq!(moved.outcome(), Outcome::Regression);
        assert_eq!(Outcome::NotReproduced.label(), "not reproduced");
    }

    #[test]
    fn a_timing_within_its_noise_is_noisy_and_beyond_it_regressed() {
        let slope = |measured: f64, margin: f64| {
            claim(measured, Threshold::at_most(1.1))
                .noise(margin, 3)
                .verdict()
        };
        assert_eq!(slope(1.05, 0.2), Verdict::Pass);
        let noisy = slope(1.2, 0.15);
        assert!(
            matches!(&noisy, Verdict::Noisy(r) if r.contains("3 measurement")),
            "{noisy:?}"
        );
        assert!(!noisy.passed() && !noisy.failed());
        let regressed = slope(2.0, 0.15);
        assert!(
            matches!(&regressed, Verdict::Fail(r) if r.starts_with("regressed")),
            "{regressed:?}"
        );
        // A NaN margin cannot excuse a miss.
        assert!(slope(1.2, f64::NAN).failed());
        // Without a noise record a miss is a plain failure, however small.
        assert!(claim(1.11, Threshold::at_most(1.1)).verdict().failed());
    }

    #[test]
    fn margins_widen_every_comparator() {
        assert!(Threshold::at_least(1000.0).admits_within(950.0, 60.0));
        assert!(!Threshold::at_least(1000.0).admits_within(900.0, 60.0));
        assert!(Threshold::below(1.0).admits_within(1.05, 0.1));
        assert!(Threshold::above(1.0).admits_within(0.95, 0.1));
        assert!(Threshold::within(1.0, 0.1).admits_within(1.25, 0.2));
        assert!(Threshold::between(1.2, 1.65).admits_within(1.1, 0.15));
        assert!(!Threshold::between(1.2, 1.65).admits_within(1.9, 0.15));
    }

    #[test]
    fn numbers_format_compactly() {
        assert_eq!(fmt_num(3.0), "3");
        assert_eq!(fmt_num(1.234_56), "1.23");
        assert_eq!(fmt_num(123.456), "123");
        assert_eq!(fmt_num(0.5), "0.5");
        assert_eq!(fmt_num(1.10), "1.1");
        assert_eq!(fmt_num(0.000_123_4), "1.23e-4");
        assert_eq!(fmt_num(0.005), "5e-3");
        assert_eq!(fmt_num(1e-12), "1e-12");
        assert_eq!(fmt_num(2.5e7), "25000000");
        assert_eq!(fmt_num(2.55e17), "2.55e17");
        assert_eq!(fmt_num(f64::INFINITY), "inf");
    }
}
