//! Prints the full report of every simulated kernel on one workload, and writes a Chrome
//! trace of cluster 0 in the authors' PASA run: `cargo run --release -p npu-sim --example report -- SEQ HEAD_DIM [trace.json [GM_SCALE]]`.

use npu_sim::{KernelKind, LaunchParams, Machine, simulate_attention};
use pasa_core::AttentionShape;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let seq: usize = args.get(1).map_or(Ok(8192), |s| s.parse())?;
    let d: usize = args.get(2).map_or(Ok(128), |s| s.parse())?;
    let mut machine = Machine::ascend910b_like()?;
    // Optional 5th argument: a GM scale factor (sensitivity runs).
    if let Some(f) = args.get(4) {
        let f: f64 = f.parse()?;
        machine.memory.core_gm_port_bytes_per_cycle *= f;
        machine.memory.l2_bytes_per_s *= f;
    }
    let heads = machine.cube_cores as usize;
    let shape = AttentionShape {
        batch: 1,
        heads,
        kv_heads: heads,
        seq_q: seq,
        seq_k: seq,
        head_dim: d,
        value_dim: d,
    };
    for kind in KernelKind::ALL {
        let params = LaunchParams {
            trace_events: if kind == KernelKind::Pasa { 20_000 } else { 0 },
            ..LaunchParams::default()
        };
        let launch = simulate_attention(&machine, &kind.kernel(), &shape, &params)?;
        println!("{}", serde_json::to_string_pretty(&launch.report)?);
        if let (KernelKind::Pasa, Some(path)) = (kind, args.get(3)) {
            std::fs::write(path, launch.chrome_trace_json(machine.clock_ghz))?;
        }
    }
    Ok(())
}
