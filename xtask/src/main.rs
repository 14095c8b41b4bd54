//! `cargo xtask`: the entry point. Parses the flags and runs one command; the work lives in
//! the library (`lib.rs`) so that it can be tested.

use clap::Parser;
use xtask::flags::{Command, Xtask};

fn main() -> anyhow::Result<()> {
    let flags = Xtask::parse();
    match flags.command {
        Command::Validate(args) => {
            let validation = xtask::validate::run(&args)?;
            std::process::exit(validation.exit_code());
        }
        Command::Bench(args) => xtask::bench::run(&args),
        Command::Test(args) => xtask::all_tests::run(&args),
    }
}
