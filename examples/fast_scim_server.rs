//! A fast in-memory SCIM 2.0 service on a free loopback port, for
//! `benches/live-ceiling.sh`: prints the port on its first line of stdout
//! and serves until killed.
//!
//! ```sh
//! cargo run --release --example fast_scim_server -- [--threads 1] [--stall-ms 1000 --every-ms 10000]
//! ```

#[path = "../tests/integration/fast_scim.rs"]
mod fast_scim;

use clap::Parser;
use std::time::Duration;

/// A fast in-memory SCIM 2.0 service on loopback.
#[derive(Parser)]
struct Args {
    /// Worker threads of the service.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Hold every changing request arriving in the last STALL_MS of each EVERY_MS.
    #[arg(long, default_value_t = 0)]
    stall_ms: u64,
    #[arg(long, default_value_t = 0)]
    every_ms: u64,
}

fn main() {
    let args = Args::parse();
    let options = fast_scim::Options {
        stall: Duration::from_millis(args.stall_ms),
        every: Duration::from_millis(args.every_ms),
        threads: args.threads,
    };
    match fast_scim::start(options) {
        Ok(running) => {
            println!("{}", running.addr.port());
            eprintln!("fast_scim_server: serving SCIM 2.0 at {}", running.url());
            loop {
                std::thread::park();
            }
        }
        Err(error) => {
            eprintln!("fast_scim_server: cannot listen on loopback: {error}");
            std::process::exit(1);
        }
    }
}
