//! Writes a validation run three ways: a console table, `report.md` (+ `report.html`, the
//! same Markdown rendered with `pulldown-cmark`) with its SVG figures, and `results.json`
//! with every number.

use std::fmt::Write as _;
use std::fs;
use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context;
use serde_json::{Value, json};

use crate::claim::{Claim, Verdict, fmt_num};
use crate::suite::{SuiteResult, Table};
use crate::validate::Validation;

/// Writes report.md, report.html, results.json and the SVG figures into `dir`.
///
/// # Errors
/// When the folder or a file cannot be written.
pub fn write_all(v: &Validation, dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for suite in &v.suites {
        for fig in &suite.figures {
            let path = dir.join(&fig.file);
            fs::write(&path, &fig.svg).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    let md = markdown(v);
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    };
    write("report.md", &md)?;
    write("report.html", &html(&md, "Validation report"))?;
    write("results.json", &serde_json::to_string_pretty(&json(v))?)?;
    Ok(())
}

/// The console summary: one line per claim, then the failures with their reasons.
#[must_use]
pub fn console(v: &Validation) -> String {
    let color = std::io::stdout().is_terminal();
    let paint = |text: &str, code: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let mut out = String::new();
    for suite in &v.suites {
        let _ = writeln!(out, "\n{} ({:.1} s)", suite.title, suite.seconds);
        let _ = writeln!(
            out,
            "  {:<4}  {:<40} {:>16}  {:<18} statement",
            "", "claim", "measured", "threshold"
        );
        for c in &suite.claims {
            let verdict = c.verdict();
            let status = paint(verdict.label(), verdict_color(&verdict));
            let _ = writeln!(
                out,
                "  {status}  {:<40} {:>16}  {:<18} {}",
                truncate(&c.id, 40),
                truncate(&c.measured_text(), 16),
                truncate(&c.threshold_text(), 18),
                truncate(&c.statement, 70)
            );
        }
    }
    let failures: Vec<&Claim> = v.failures().collect();
    let noisy: Vec<&Claim> = v.noisy().collect();
    let total = v.claims().count();
    let _ = writeln!(
        out,
        "\n{} of {total} claims pass, {} noisy, {} fail ({} mode, {:.0} s).",
        total - failures.len() - noisy.len(),
        noisy.len(),
        failures.len(),
        v.mode.name(),
        v.seconds
    );
    for c in noisy.into_iter().chain(failures) {
        let verdict = c.verdict();
        if let Some(reason) = verdict.reason() {
            let label = paint(verdict.label(), verdict_color(&verdict));
            let _ = writeln!(out, "  {label} {}: {reason}", c.id);
        }
    }
    out
}

/// ANSI colour of a verdict: green, yellow, bold red.
fn verdict_color(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "32",
        Verdict::Noisy(_) => "33;1",
        Verdict::Fail(_) => "31;1",
    }
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The Markdown report.
#[must_use]
pub fn markdown(v: &Validation) -> String {
    let mut md = String::new();
    let failures: Vec<&Claim> = v.failures().collect();
    let noisy: Vec<&Claim> = v.noisy().collect();
    let total = v.claims().count();
    let _ = writeln!(md, "# Validation report\n");
    let verdict = match (failures.len(), noisy.len()) {
        (0, 0) => format!("**All {total} claims pass.**"),
        (0, n) => format!(
            "**{} of {total} claims pass; {n} timing claim(s) NOISY (undecided under load), none fails.**",
            total - n
        ),
        (f, 0) => format!("**{f} of {total} claims FAIL.**"),
        (f, n) => format!("**{f} of {total} claims FAIL**, {n} noisy."),
    };
    let _ = writeln!(
        md,
        "{verdict} Mode `{}`, {:.0} s, {} UTC, commit `{}`.  ",
        v.mode.name(),
        v.seconds,
        v.machine.time_utc.trim_end_matches('Z').replace('T', " "),
        v.machine.commit
    );
    let _ = writeln!(md, "Machine: {}.  ", v.machine.summary());
    let _ = writeln!(md, "Regenerate with `{}`.\n", v.command);
    let _ = writeln!(
        md,
        "Each claim is a statement from one of the papers (*paper*), from our reconstruction \
         of a part of a paper we could not read (*reconstruction*), or a target this project \
         set itself (*project*); next to it is the value measured on this machine and the \
         threshold it must meet. Timings come from a shared machine: compare only numbers \
         measured in the same run. `docs/validation.md` explains every suite.\n"
    );
    let _ = writeln!(
        md,
        "| suite | claims | pass | noisy | fail | time |\n|---|---:|---:|---:|---:|---:|"
    );
    for s in &v.suites {
        let fails = s.failures().count();
        let noisy = s.noisy().count();
        let _ = writeln!(
            md,
            "| [{}](#{}) | {} | {} | {} | {} | {:.1} s |",
            s.title,
            anchor(s.title),
            s.claims.len(),
            s.claims.len() - fails - noisy,
            noisy,
            fails,
            s.seconds
        );
    }
    for (title, claims) in [
        ("Failed claims", &failures),
        (
            "Noisy timing claims (undecided on this machine now)",
            &noisy,
        ),
    ] {
        if claims.is_empty() {
            continue;
        }
        let _ = writeln!(md, "\n## {title}\n");
        for c in claims {
            if let Some(reason) = c.verdict().reason() {
                let _ = writeln!(md, "- `{}`: {}", c.id, escape(reason));
            }
        }
    }
    for s in &v.suites {
        suite_markdown(&mut md, s);
    }
    md
}

fn suite_markdown(md: &mut String, s: &SuiteResult) {
    let _ = writeln!(md, "\n## {}\n\n{}\n", s.title, s.intro);
    let _ = writeln!(
        md,
        "| | claim | statement | measured | threshold | source |"
    );
    let _ = writeln!(md, "|---|---|---|---:|---:|---|");
    for c in &s.claims {
        let status = match c.verdict() {
            Verdict::Pass => "PASS",
            Verdict::Noisy(_) => "*NOISY*",
            Verdict::Fail(_) => "**FAIL**",
        };
        let _ = writeln!(
            md,
            "| {status} | `{}` | {} | {} | {} | *{}*: {} |",
            c.id,
            escape(&c.statement),
            escape(&c.measured_text()),
            escape(&c.threshold_text()),
            c.source.label(),
            escape(c.source.detail())
        );
    }
    let noted: Vec<&Claim> = s
        .claims
        .iter()
        .filter(|c| !c.notes.is_empty() || !c.verdict().passed())
        .collect();
    if !noted.is_empty() {
        let _ = writeln!(md);
        for c in noted {
            let mut parts: Vec<String> = c.notes.iter().map(|n| escape(n)).collect();
            match c.verdict() {
                Verdict::Pass => {}
                Verdict::Noisy(reason) => parts.push(format!("*noisy*: {}", escape(&reason))),
                Verdict::Fail(reason) => parts.push(format!("**failed**: {}", escape(&reason))),
            }
            let _ = writeln!(md, "- `{}`: {}", c.id, parts.join(" "));
        }
    }
    for fig in &s.figures {
        let _ = writeln!(
            md,
            "\n![{}]({})\n\n*{}*",
            escape(&fig.caption),
            fig.file,
            fig.caption
        );
    }
    for t in &s.tables {
        table_markdown(md, t);
    }
    if !s.notes.is_empty() {
        let _ = writeln!(md);
        for n in &s.notes {
            let _ = writeln!(md, "- {n}");
        }
    }
    let times: Vec<String> = s
        .check_seconds
        .iter()
        .map(|(name, t)| format!("{name} {t:.1} s"))
        .collect();
    let _ = writeln!(md, "\n<small>Time per check: {}.</small>", times.join(", "));
}

/// A Markdown table with a bold title line.
pub fn table_markdown(md: &mut String, t: &Table) {
    let _ = writeln!(md, "\n**{}**\n", t.title);
    let _ = writeln!(
        md,
        "| {} |",
        t.header
            .iter()
            .map(|h| escape(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(md, "|{}", "---|".repeat(t.header.len()));
    for row in &t.rows {
        let _ = writeln!(
            md,
            "| {} |",
            row.iter()
                .map(|c| escape(c))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
}

fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// GitHub-style heading anchor: lower case, spaces to '-', punctuation dropped.
fn anchor(title: &str) -> String {
    title
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// Renders Markdown to a standalone HTML page (figures stay linked beside it).
#[must_use]
pub fn html(md: &str, title: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html::push_html};
    let mut with_ids = Vec::new();
    let mut in_heading = None;
    for event in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => in_heading = Some((level, String::new())),
            Event::Text(t) | Event::Code(t) if in_heading.is_some() => {
                if let Some((_, text)) = in_heading.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, text)) = in_heading.take() {
                    with_ids.push(Event::Html(
                        format!(
                            "<{level} id=\"{}\">{}</{level}>\n",
                            anchor(&text),
                            html_escape(&text)
                        )
                        .into(),
                    ));
                }
            }
            e if in_heading.is_some() => drop(e),
            e => with_ids.push(e),
        }
    }
    let mut body = String::new();
    push_html(&mut body, with_ids.into_iter());
    let body = body
        .replace("<td>PASS</td>", "<td class=\"pass\">PASS</td>")
        .replace(
            "<td><strong>FAIL</strong></td>",
            "<td class=\"fail\">FAIL</td>",
        )
        .replace("<td><em>NOISY</em></td>", "<td class=\"noisy\">NOISY</td>");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{CSS}</style></head>\n<body>\n{body}</body></html>\n",
        html_escape(title)
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1150px;\
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
table{border-collapse:collapse;margin:1em 0;font-size:.9em}\
th,td{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}th{background:#f3f3f3}\
td.pass{color:#0a7d32;font-weight:600}td.fail{color:#fff;background:#c62828;font-weight:700}\
td.noisy{color:#222;background:#ffd54f;font-weight:700}\
code{background:#f4f4f4;padding:0 .2em;border-radius:3px;font-size:.92em}\
img{max-width:100%;border:1px solid #ddd;margin-top:1em}h2{border-bottom:2px solid #ddd;margin-top:2em}";

/// All numbers of the run as JSON; each claim carries its verdict.
#[must_use]
pub fn json(v: &Validation) -> Value {
    let suites: Vec<Value> = v
        .suites
        .iter()
        .map(|s| {
            let claims: Vec<Value> = s.claims.iter().map(claim_json).collect();
            json!({
                "name": s.name,
                "title": s.title,
                "seconds": s.seconds,
                "check_seconds": s.check_seconds,
                "claims": claims,
                "figures": s.figures,
                "tables": s.tables,
                "data": s.data,
                "notes": s.notes,
            })
        })
        .collect();
    let failed = v.failures().count();
    let noisy = v.noisy().count();
    json!({
        "mode": v.mode,
        "command": v.command,
        "machine": v.machine,
        "seconds": v.seconds,
        "claims": v.claims().count(),
        "failed": failed,
        "noisy": noisy,
        "passed": failed == 0,
        "suites": suites,
    })
}

fn claim_json(c: &Claim) -> Value {
    let mut value = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        let verdict = c.verdict();
        map.insert("passed".to_owned(), Value::Bool(verdict.passed()));
        map.insert(
            "status".to_owned(),
            Value::String(verdict.label().to_ascii_lowercase()),
        );
        if let Some(reason) = verdict.reason() {
            map.insert("reason".to_owned(), Value::String(reason.to_owned()));
        }
        map.insert(
            "measured_text".to_owned(),
            Value::String(fmt_num(c.measured)),
        );
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_match_github_style() {
        assert_eq!(anchor("PASA: FP16 attention"), "pasa-fp16-attention");
    }

    #[test]
    fn html_has_heading_ids_and_tables() {
        let page = html("# A b\n\n| x | y |\n|---|---|\n| PASS | 1 |\n", "t");
        assert!(page.contains("<h1 id=\"a-b\">A b</h1>"), "{page}");
        assert!(page.contains("<td class=\"pass\">PASS</td>"), "{page}");
    }
}
