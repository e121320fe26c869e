//! `guichet`: the command line of the platform (serve, migrate, users, services).

mod bench;
mod cli;
mod seed;
mod settings;
mod simulate;

fn main() -> std::process::ExitCode {
    cli::main()
}
