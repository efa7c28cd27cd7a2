//! Inputs of the scripting commands: the arguments, or else the lines of standard input.

use std::io::{self, BufRead, IsTerminal};

/// Calls `each` with every argument, or, when there are no arguments, with every line of
/// standard input (see [`for_each_line`]).
pub(crate) fn for_each_input(
    args: &[String],
    what: &str,
    mut each: impl FnMut(&str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    if !args.is_empty() {
        return args.iter().try_for_each(|arg| each(arg));
    }
    let stdin = io::stdin();
    if stdin.is_terminal() {
        // Without this hint a user who forgot the arguments faces a silently waiting program.
        eprintln!("riverpan: reading {what} from standard input, one per line (Ctrl-D ends)");
    }
    for_each_line(stdin.lock(), each)
}

/// Calls `each` with every line of `reader`, without its line ending: the trailing `"\n"` and
/// then a trailing `"\r"` are removed, every other byte is kept (white space is part of a
/// version string).  A last line without `"\n"` counts; the empty string after a final `"\n"`
/// does not.  Bytes that are not UTF-8 become U+FFFD, because JSON output needs text.
pub(crate) fn for_each_line(
    mut reader: impl BufRead,
    mut each: impl FnMut(&str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(());
        }
        each(&String::from_utf8_lossy(strip_line_ending(&line)))?;
    }
}

/// `line` without one trailing `"\n"` and then one trailing `"\r"`.
pub(crate) fn strip_line_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(input: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for_each_line(input, |line| {
            lines.push(line.to_owned());
            Ok(())
        })
        .expect("reading from a slice cannot fail");
        lines
    }

    #[test]
    fn line_endings_are_stripped_but_other_white_space_is_kept() {
        assert_eq!(
            lines_of(b"1.0\n 2.0 \r\n\t3\r\n\nlast"),
            ["1.0", " 2.0 ", "\t3", "", "last"]
        );
        assert_eq!(lines_of(b"a\r\r\n"), ["a\r"]);
        assert_eq!(lines_of(b"only\r"), ["only"]);
        assert_eq!(lines_of(b""), Vec::<String>::new());
        assert_eq!(lines_of(b"\n"), [""]);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(lines_of(b"1.\xff\n"), ["1.\u{fffd}"]);
    }
}
