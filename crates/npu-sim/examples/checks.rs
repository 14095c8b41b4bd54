//! Prints the self-checks `cargo xtask validate` runs: the timing model on hand-computable
//! programs and the bit-exactness of the simulated kernels against `pasa-core`:
//! `cargo run -p npu-sim --example checks -- [CASES] [SEED]`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let cases: usize = args.get(1).map_or(Ok(20), |s| s.parse())?;
    let seed: u64 = args.get(2).map_or(Ok(2026), |s| s.parse())?;
    for c in npu_sim::checks::timing_checks()? {
        println!("{:>6} {:>6}  {}", c.simulated, c.expected, c.name);
    }
    let start = std::time::Instant::now();
    let s = npu_sim::checks::bit_exact_check(cases, seed)?;
    println!(
        "bit-exact: {} runs, {} elements, {} mismatches ({:.2} s) {:?}",
        s.runs,
        s.elements,
        s.mismatches,
        start.elapsed().as_secs_f64(),
        s.first_mismatch
    );
    let w = npu_sim::checks::sim_wall_time_32k()?;
    println!(
        "1 head 32k x 128: {:.3} s (shortcut), {:.3} s (every cluster), {} instructions",
        w.shortcut_s, w.every_cluster_s, w.instructions
    );
    Ok(())
}
