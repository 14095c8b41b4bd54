//! Prints the PASA vs fp32-softmax FA sweep and its sensitivity to the preset's assumed
//! values, on the `ascend910b-like` preset, as the Markdown tables of docs/npu-sim.md:
//! `cargo run --release -p npu-sim --example sweep`.

fn main() -> Result<(), npu_sim::SimError> {
    let machine = npu_sim::Machine::ascend910b_like()?;
    let start = std::time::Instant::now();
    let rows = npu_sim::sweep::sweep(&machine, &npu_sim::sweep::default_points(&machine))?;
    println!("{}", npu_sim::sweep::markdown_table(&rows));
    let resident = rows.iter().all(|r| r.l2_resident);
    println!("K/V working set L2-resident at every point: {resident}\n");
    let points = npu_sim::sweep::sensitivity_points(&machine);
    let sens = npu_sim::sweep::sensitivity(&machine, &points)?;
    println!("{}", npu_sim::sweep::sensitivity_table(&sens));
    for v in npu_sim::sweep::variants() {
        println!("- `{}`: {}", v.name, v.change);
    }
    eprintln!("simulated in {:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}
