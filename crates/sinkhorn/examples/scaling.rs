//! Time per iteration against N for one method and print the fitted log-log slope:
//! `cargo run --release -p sinkhorn --example scaling -- fs2 1000 10000 100000`.
//! Methods: fs1, fs1-log, fs1-stabilized, dense, dense-log, fs2, fs2-log, dense-ipot;
//! prefix a size list with `grid` to time `side x side` grids (`-- fs1 grid 32 64 128`).

use sinkhorn::timing::{Method, loglog_slope, time_grid, time_line};

fn main() -> Result<(), sinkhorn::SinkhornError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let method = match args.first().map(String::as_str) {
        Some("fs1-log") => Method::Fs1Log,
        Some("fs1-stabilized") => Method::Fs1Stabilized,
        Some("dense") => Method::DenseStandard,
        Some("dense-log") => Method::DenseLog,
        Some("fs2") => Method::Fs2,
        Some("fs2-log") => Method::Fs2Log,
        Some("dense-ipot") => Method::DenseIpot,
        _ => Method::Fs1Standard,
    };
    let grid = args.get(1).is_some_and(|a| a == "grid");
    let sizes: Vec<usize> = args
        .iter()
        .skip(if grid { 2 } else { 1 })
        .filter_map(|s| s.parse().ok())
        .collect();
    let pts = if grid {
        time_grid(method, &sizes, 0.2, 2)?
    } else {
        time_line(method, &sizes, 0.2, 2)?
    };
    for p in &pts {
        println!(
            "{method:?} N = {:>9}: {:.3e} s/iteration",
            p.n, p.seconds_per_iteration
        );
    }
    println!("{method:?} fitted log-log slope: {:.3}", loglog_slope(&pts));
    Ok(())
}
