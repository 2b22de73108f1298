//! The `tessera` binary: see `tessera --help`.

use clap::Parser;
use std::process::ExitCode;

/// mimalloc instead of glibc's allocator: requests allocate from several threads at once, and
/// glibc's showed in profiles as arena lock waits and consolidation (≈ 20% of the samples of
/// `elements` reads). Measured with `bench/run`: `elements` 11.4k → 17.1k req/s, `me` 47k → 52k.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = tessera::cli::Cli::parse();
    match tessera::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
