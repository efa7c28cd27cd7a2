//! Prints riverpan's evaluation of each `$VERSION` line in the given files (debugging aid).
fn main() {
    for path in std::env::args().skip(1) {
        let Ok(content) = std::fs::read(&path) else {
            continue;
        };
        if let Some(line) = cpan_pmscan::version_line(&content) {
            println!(
                "{:?}\t{:?}",
                cpan_pmscan::evaluate_version_line(&line),
                line
            );
        }
    }
}
