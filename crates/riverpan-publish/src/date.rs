//! Calendar arithmetic for the three date formats the published files use: RFC 1123 (`HTTP::Date::time2str`),
//! Perl's `scalar gmtime` (ctime layout) and `YYYY-MM-DD` (CHECKSUMS `mtime`). All in GMT, no time-zone database.

use std::time::{SystemTime, UNIX_EPOCH};

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A broken-down GMT time (what Perl's `gmtime` returns in list context).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GmTime {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Sunday
    pub weekday: usize,
}

/// Whole seconds since the epoch; times before 1970 are negative (floored), so a file with a bogus mtime still
/// gets a well-formed date instead of a panic.
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let secs = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            // floor: -0.5 s is second -1, like gmtime(-0.5) in C after truncation towards -inf
            if before.subsec_nanos() > 0 {
                -secs - 1
            } else {
                -secs
            }
        }
    }
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's `civil_from_days`, proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // March-based
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub(crate) fn gmtime(time: SystemTime) -> GmTime {
    let secs = unix_seconds(time);
    let days = secs.div_euclid(86_400);
    let second_of_day = secs.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    GmTime {
        year,
        month,
        day,
        hour: second_of_day / 3600,
        minute: second_of_day / 60 % 60,
        second: second_of_day % 60,
        // 1970-01-01 was a Thursday
        weekday: (days + 4).rem_euclid(7) as usize,
    }
}

/// RFC 1123 date as `HTTP::Date::time2str` writes it: `Sun, 26 Apr 2026 14:22:28 GMT` (day zero-padded).
/// Used for `Last-Updated:` (02packages) and `Date:` (06perms, 03modlist).
pub fn http_date(t: SystemTime) -> String {
    let tm = gmtime(t);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[tm.weekday],
        tm.day,
        MONTHS[(tm.month - 1) as usize],
        tm.year,
        tm.hour,
        tm.minute,
        tm.second
    )
}

/// Perl's `scalar gmtime`: `Sun Sep  9 01:46:40 2001` (day space-padded), as in the CHECKSUMS comment line.
pub(crate) fn perl_scalar_gmtime(t: SystemTime) -> String {
    let tm = gmtime(t);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        WEEKDAYS[tm.weekday],
        MONTHS[(tm.month - 1) as usize],
        tm.day,
        tm.hour,
        tm.minute,
        tm.second,
        tm.year
    )
}

/// `YYYY-MM-DD` in GMT, CPAN::Checksums' `mtime` value.
pub(crate) fn ymd(t: SystemTime) -> String {
    let tm = gmtime(t);
    format!("{:04}-{:02}-{:02}", tm.year, tm.month, tm.day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn known_dates() {
        assert_eq!(http_date(at(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            http_date(at(1_000_000_000)),
            "Sun, 09 Sep 2001 01:46:40 GMT"
        );
        // 2023-02-17 09:54:00, the Last-Updated of the real 02packages in shared/data
        assert_eq!(
            http_date(at(1_676_627_640)),
            "Fri, 17 Feb 2023 09:54:00 GMT"
        );
        assert_eq!(
            http_date(at(1_777_213_348)),
            "Sun, 26 Apr 2026 14:22:28 GMT"
        );
        assert_eq!(
            perl_scalar_gmtime(at(1_000_000_000)),
            "Sun Sep  9 01:46:40 2001"
        );
        assert_eq!(
            perl_scalar_gmtime(at(1_303_122_922)),
            "Mon Apr 18 10:35:22 2011"
        );
        assert_eq!(ymd(at(1_303_122_922)), "2011-04-18");
        // leap day and the day after
        assert_eq!(ymd(at(951_782_400)), "2000-02-29");
        assert_eq!(ymd(at(951_868_800)), "2000-03-01");
    }

    #[test]
    fn before_the_epoch_is_floored() {
        let t = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(http_date(t), "Wed, 31 Dec 1969 23:59:59 GMT");
    }
}
