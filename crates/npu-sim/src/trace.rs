//! The timeline of a simulation in the Chrome trace-event JSON format, one track per unit,
//! so a run can be opened in Perfetto (ui.perfetto.dev) or chrome://tracing.

use serde_json::{Value, json};

use crate::ir::{Core, Pipe};

/// One busy interval of one pipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// The core.
    pub core: Core,
    /// The pipe.
    pub pipe: Pipe,
    /// Start cycle.
    pub start: u64,
    /// Length in cycles.
    pub duration: u64,
}

/// Builds the Chrome trace-event JSON of `events` at `clock_ghz` (timestamps in µs).
///
/// Process = core, thread = pipe; each process and thread carries a name record so the
/// viewer shows "aic / M", "aiv0 / V" and so on.
#[must_use]
pub fn chrome_trace_json(events: &[TraceEvent], clock_ghz: f64) -> String {
    trace_json(events, clock_ghz, None)
}

/// As [`chrome_trace_json`], for the events of cluster `cluster` of `clusters`: process
/// names read "cluster 0 aic" and the file's `otherData` records which cluster it shows
/// (what [`crate::Launch::chrome_trace_json`] writes).
#[must_use]
pub fn cluster_trace_json(
    events: &[TraceEvent],
    clock_ghz: f64,
    cluster: u32,
    clusters: u32,
) -> String {
    trace_json(events, clock_ghz, Some((cluster, clusters)))
}

fn trace_json(events: &[TraceEvent], clock_ghz: f64, cluster: Option<(u32, u32)>) -> String {
    let us_per_cycle = 1e-3 / clock_ghz;
    let core_name = |core: Core| match cluster {
        Some((c, _)) => format!("cluster {c} {}", core.name()),
        None => core.name(),
    };
    let mut records: Vec<Value> = Vec::with_capacity(events.len() + 32);
    let mut named: Vec<(usize, usize)> = Vec::new();
    for e in events {
        let pid = e.core.index();
        let tid = e.pipe.index();
        if !named.contains(&(pid, tid)) {
            if !named.iter().any(|&(p, _)| p == pid) {
                records.push(json!({"name": "process_name", "ph": "M", "pid": pid,
                    "args": {"name": core_name(e.core)}}));
            }
            records.push(
                json!({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
                "args": {"name": e.pipe.name()}}),
            );
            named.push((pid, tid));
        }
        // Cycle counts of a trace stay far below 2^52.
        #[allow(clippy::cast_precision_loss)]
        let (ts, dur) = (
            e.start as f64 * us_per_cycle,
            e.duration as f64 * us_per_cycle,
        );
        records.push(
            json!({"name": e.pipe.name(), "ph": "X", "pid": pid, "tid": tid,
            "ts": ts, "dur": dur, "args": {"start_cycle": e.start, "cycles": e.duration}}),
        );
    }
    let mut trace = json!({"traceEvents": records, "displayTimeUnit": "ns"});
    if let Some((c, n)) = cluster {
        trace["otherData"] = json!({
            "cluster": c,
            "clusters": n,
            "note": format!("timeline of cluster {c} of {n}; the others are not traced"),
        });
    }
    trace.to_string()
}
