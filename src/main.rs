//! `guichet`: the command line of the platform (serve, migrate, users, services).

mod cli;
mod simulate;

fn main() -> std::process::ExitCode {
    cli::main()
}
