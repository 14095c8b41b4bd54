//! Prints the PASA vs fp32-softmax FA sweep on the `ascend910b-like` preset as Markdown
//! (the table of docs/npu-sim.md): `cargo run --release -p npu-sim --example sweep`.

fn main() -> Result<(), npu_sim::SimError> {
    let machine = npu_sim::Machine::ascend910b_like()?;
    let start = std::time::Instant::now();
    let rows = npu_sim::sweep::sweep(&machine, &npu_sim::sweep::default_points(&machine))?;
    print!("{}", npu_sim::sweep::markdown_table(&rows));
    eprintln!("simulated in {:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}
