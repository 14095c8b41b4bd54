//! The machine and source a report was made on: timings mean little without them.

use std::fs;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::project_root;

/// CPU, cores, memory, compiler, commit and time of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPU model from /proc/cpuinfo ("unknown" elsewhere).
    pub cpu: String,
    /// Logical cores available to this process.
    pub cores: usize,
    /// Total memory in GiB (0 when unknown).
    pub memory_gib: f64,
    /// Operating system and architecture.
    pub os: String,
    /// `rustc -V`.
    pub rustc: String,
    /// `git describe --always --dirty` of the workspace.
    pub commit: String,
    /// UTC time of the run, ISO 8601.
    pub time_utc: String,
}

impl Machine {
    /// Reads the details of this machine; unknown fields say "unknown".
    #[must_use]
    pub fn detect() -> Self {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Self {
            cpu: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".to_owned()),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            memory_gib: mem_total_gib(&meminfo).unwrap_or(0.0),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            rustc: command_line(
                std::env::var("RUSTC").as_deref().unwrap_or("rustc"),
                &["-V"],
            ),
            commit: command_line("git", &["describe", "--always", "--dirty"]),
            time_utc: utc_now(),
        }
    }

    /// One line for report headers.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "{}, {} cores, {:.0} GiB, {}, {}",
            self.cpu, self.cores, self.memory_gib, self.os, self.rustc
        )
    }
}

fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

fn mem_total_gib(meminfo: &str) -> Option<f64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / (1024.0 * 1024.0))
}

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .current_dir(project_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "unknown".to_owned(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        )
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
#[must_use]
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// Formats seconds since the Unix epoch as ISO 8601 UTC (civil-from-days, H. Hinnant).
fn format_utc(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting_matches_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        // 2000-02-29 12:34:56 UTC, a leap day (date -u -d @951827696).
        assert_eq!(format_utc(951_827_696), "2000-02-29T12:34:56Z");
    }

    #[test]
    fn cpuinfo_and_meminfo_parse() {
        let cpu = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n";
        assert_eq!(cpu_model(cpu).as_deref(), Some("AMD EPYC 7B13"));
        let mem = "MemTotal:       25165824 kB\nMemFree: 1 kB\n";
        let gib = mem_total_gib(mem).expect("MemTotal parses");
        assert!((gib - 24.0).abs() < 1e-12, "24 GiB expected, got {gib}");
    }
}
