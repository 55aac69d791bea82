//! The `psx` command-line tool (work in progress: see the `cli` feature).
fn main() {
    eprintln!("psx: the command-line tool is not built yet");
    std::process::exit(2);
}
