//! The `unbindsim` binary: the command line of the library.

fn main() {
    std::process::exit(unbindsim::cli::main());
}
