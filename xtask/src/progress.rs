//! Progress bars that show on a terminal and stay silent in CI logs and pipes.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The set of bars of one command; hidden when stdout is not a terminal.
#[derive(Debug, Clone)]
pub struct Progress {
    multi: MultiProgress,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    /// Bars on stderr when stdout is a terminal, hidden otherwise.
    #[must_use]
    pub fn new() -> Self {
        let target = if std::io::stdout().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Self {
            multi: MultiProgress::with_draw_target(target),
        }
    }

    /// Bars that never draw (tests).
    #[must_use]
    pub fn hidden() -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
        }
    }

    /// A bar of `len` steps labelled `what`; finish it with `finish_and_clear`.
    #[must_use]
    pub fn bar(&self, len: u64, what: &str) -> ProgressBar {
        let style = ProgressStyle::with_template(
            "{spinner} {prefix:<28} [{bar:30}] {pos}/{len} {msg} ({elapsed})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bar = self.multi.add(ProgressBar::new(len).with_style(style));
        bar.set_prefix(what.to_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }

    /// Prints a line above the bars (or plainly when they are hidden).
    pub fn println(&self, line: &str) {
        if self.multi.is_hidden() || self.multi.println(line).is_err() {
            println!("{line}");
        }
    }
}
