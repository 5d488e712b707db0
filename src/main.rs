fn main() -> std::process::ExitCode {
    fangkong::cli::main()
}
