//! Prints the self-timed matvec scaling table (`colt::scaling`) for sizes given on the command
//! line (default 10^3..10^7): `cargo run --release -p colt --example matvec_scaling -- 1000 1000000`,
//! then the one-pass scaling half-step (f64 and f32) against the streaming pass; with
//! `ONE_PASS_ONLY=1`, the half-step alone.

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
    if std::env::var_os("ONE_PASS_ONLY").is_none() {
        let report = colt::scaling::measure_matvec_scaling(&sizes, 15);
        for line in report.lines() {
            println!("{line}");
        }
    }
    for line in colt::scaling::measure_one_pass(&sizes, 15).lines() {
        println!("{line}");
    }
    if std::env::var_os("ONE_PASS_ONLY").is_some() {
        return;
    }
    for eps in [1.0, 0.01] {
        let (lin, log) = colt::scaling::matvec_error_vs_dense(2_000, eps);
        println!(
            "N = 2000, eps = {eps}: max relative error vs dense faer {lin:.2e}, log-domain max abs error {log:.2e}"
        );
    }
}
