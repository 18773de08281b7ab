#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    satis::cli::main()
}
