//! FS-2 to the exact W1 on a large 1D problem (the N up to 1e6 claim):
//! `cargo run --release -p sinkhorn --example fs2_large -- N [tol] [cost_tol] [max_iter]`.

use sinkhorn::cases::bumps_line;
use sinkhorn::timing::fs2_vs_exact;
use sinkhorn::{IpotParams, Termination};

fn main() -> Result<(), sinkhorn::SinkhornError> {
    let arg = |i: usize, default: f64| -> f64 {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let n = arg(1, 1e5) as usize;
    let params = IpotParams {
        termination: Termination {
            max_iter: arg(4, 5000.0) as usize,
            tol: arg(2, 1e-7),
            check_every: 10,
            allow_partial: true, // reported below
        },
        cost_tol: arg(3, 1e-8),
        ..IpotParams::default()
    };
    let p = fs2_vs_exact(&bumps_line(n)?, params)?;
    println!(
        "N = {}: {} outer iterations (converged: {}, violation {:.1e}), cost {:.12} vs W1 {:.12}, rel err {:.2e}, {:.1} s",
        p.n, p.iterations, p.converged, p.violation, p.cost, p.exact, p.rel_err, p.seconds
    );
    Ok(())
}
