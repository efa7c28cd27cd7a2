//! Text helpers for reports: `Text::Format`-like wrapping and Perl's scalar `gmtime`.

/// The line length PAUSE's `Text::Format` uses.
pub(crate) const COLUMNS: usize = 72;

/// Wraps `text` as one paragraph (runs of white space, newlines included, become one space):
/// the first line indented by `first_indent`, the others by `body_indent`, lines at most
/// [`COLUMNS`] long unless a single word is longer. Ends with a newline, as `Text::Format`.
pub(crate) fn wrap(text: &str, first_indent: usize, body_indent: usize) -> String {
    let mut out = String::new();
    let mut line = " ".repeat(first_indent);
    let mut line_has_word = false;
    for word in text.split_whitespace() {
        let extra = if line_has_word { 1 } else { 0 };
        if line_has_word && line.chars().count() + extra + word.chars().count() > COLUMNS {
            out.push_str(line.trim_end());
            out.push('\n');
            line = " ".repeat(body_indent);
            line_has_word = false;
        }
        if line_has_word {
            line.push(' ');
        }
        line.push_str(word);
        line_has_word = true;
    }
    if line_has_word {
        out.push_str(&line);
    }
    out.push('\n');
    out
}

/// Wraps each blank-line-separated paragraph of `text` with [`wrap`], keeping the blank lines.
pub(crate) fn wrap_paragraphs(text: &str, first_indent: usize, body_indent: usize) -> String {
    text.split("\n\n")
        .filter(|paragraph| !paragraph.trim().is_empty())
        .map(|paragraph| wrap(paragraph, first_indent, body_indent))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Perl's scalar `gmtime($seconds)`, e.g. `Thu Sep  9 01:46:40 2001`.
pub(crate) fn perl_gmtime(seconds: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = DAYS[days.rem_euclid(7) as usize];
    let month_name = MONTHS[(month - 1) as usize];
    format!(
        "{weekday} {month_name} {day:>2} {:02}:{:02}:{:02} {year}",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Days since 1970-01-01 to (year, month 1–12, day 1–31), proleptic Gregorian
/// (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmtime_matches_perl() {
        assert_eq!(perl_gmtime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(perl_gmtime(1_000_000_000), "Sun Sep  9 01:46:40 2001");
        assert_eq!(perl_gmtime(1_700_000_000), "Tue Nov 14 22:13:20 2023");
        assert_eq!(perl_gmtime(-1), "Wed Dec 31 23:59:59 1969");
    }

    #[test]
    fn wrap_joins_and_breaks_at_72() {
        let text = "word ".repeat(30);
        let wrapped = wrap(&text, 0, 0);
        assert!(wrapped.lines().all(|line| line.len() <= COLUMNS));
        assert!(wrapped.ends_with('\n'));
        assert_eq!(wrap("a\n  b", 14, 14), "              a b\n");
        let long = wrap("x ".repeat(40).as_str(), 0, 14);
        assert!(long
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("              x")));
    }
}
