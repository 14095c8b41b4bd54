//! Prints the self-timed matvec scaling table (`colt::scaling`) for sizes given on the command
//! line (default 10^3..10^7): `cargo run --release -p colt --example matvec_scaling -- 1000 1000000`.

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000, 100_000, 1_000_000, 10_000_000]
    } else {
        sizes
    };
    let report = colt::scaling::measure_matvec_scaling(&sizes, 15);
    for ((n, m), r) in report
        .n
        .iter()
        .zip(&report.matvec_seconds)
        .zip(report.ratios())
    {
        println!(
            "N = {n:>9}: matvec {:>10.3} us ({:.2} ns/elem), ratio to streaming {r:.2}",
            m * 1e6,
            m * 1e9 / *n as f64
        );
    }
    println!("slope {:.3}", report.slope);
}
