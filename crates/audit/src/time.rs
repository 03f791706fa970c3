//! RFC 3339 timestamps in UTC with millisecond precision.
//!
//! Written by hand because the format is one line of arithmetic (Howard
//! Hinnant's civil-from-days) and the crate needs nothing else of a date
//! library; the parser accepts exactly what the formatter writes, plus
//! whole seconds, so a record's time has one spelling and hashes stably.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 before 1970).
pub(crate) fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// `2026-12-02T00:23:24.123Z` for `ms` milliseconds since the epoch.
///
/// The writer stamps every record with this, so a four-digit year (every
/// date before 10000) is written digit by digit into a fixed buffer rather
/// than through `format!`; later years take the general path.
pub fn format_rfc3339_ms(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss, frac) = (rem / 3600, (rem % 3600) / 60, rem % 60, ms % 1000);
    match u64::try_from(y) {
        Ok(year @ 0..=9999) => {
            let mut out = *b"0000-00-00T00:00:00.000Z";
            put_digits(&mut out[0..4], year);
            put_digits(&mut out[5..7], m);
            put_digits(&mut out[8..10], d);
            put_digits(&mut out[11..13], hh);
            put_digits(&mut out[14..16], mm);
            put_digits(&mut out[17..19], ss);
            put_digits(&mut out[20..23], frac);
            // ASCII digits and separators only.
            String::from_utf8_lossy(&out).into_owned()
        }
        _ => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{frac:03}Z"),
    }
}

/// Writes `n` in decimal into `out`, right-aligned; `n` fits by construction.
fn put_digits(out: &mut [u8], mut n: u64) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.mmm]Z` into milliseconds since the epoch.
pub fn parse_rfc3339_ms(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let s = text.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let millis = match &text[19..text.len() - 1] {
        "" => 0,
        frac if frac.len() == 4 && frac.starts_with('.') => num(20..23)?,
        _ => return None,
    };
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59
    {
        return None;
    }
    let days = days_from_civil(i64::try_from(y).ok()?, mo, d);
    let days = u64::try_from(days).ok()?;
    Some((days * 86_400 + h * 3600 + mi * 60 + s) * 1000 + millis)
}

/// The time of the events of a batch, parsed once per distinct timestamp:
/// a sink summarising every record it writes meets the same millisecond
/// hundreds of times in a row at full rate, and comparing two short strings
/// is cheaper than parsing one.
#[derive(Debug, Default)]
pub(crate) struct TimestampCache {
    text: String,
    ms: Option<u64>,
}

impl TimestampCache {
    /// [`AuditEvent::unix_ms`](crate::AuditEvent::unix_ms) of `event`.
    pub(crate) fn unix_ms(&mut self, event: &crate::AuditEvent) -> Option<u64> {
        if event.timestamp.is_empty() {
            return event.unix_ms();
        }
        if event.timestamp != self.text {
            self.ms = event.unix_ms();
            self.text.clone_from(&event.timestamp);
        }
        self.ms
    }
}

/// A `SystemTime` for `ms` milliseconds since the epoch.
pub(crate) fn from_unix_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn civil_from_days(z: i64) -> (i64, u64, u64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m.unsigned_abs(), d.unsigned_abs())
}

fn days_from_civil(y: i64, m: u64, d: u64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::try_from(m).unwrap_or(1);
    let d = i64::try_from(d).unwrap_or(1);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_instants() {
        assert_eq!(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_rfc3339_ms(951_782_400_123),
            "2000-02-29T00:00:00.123Z"
        );
        assert_eq!(
            parse_rfc3339_ms("2000-02-29T00:00:00Z"),
            Some(951_782_400_000)
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2001-02-29T00:00:00Z",
            "2000-13-01T00:00:00Z",
            "2000-01-01T24:00:00Z",
            "2000-01-01T00:00:00.1Z",
            "2000-01-01T00:00:00+01:00",
            "2000-01-01 00:00:00Z",
            "+000-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_cache_parses_each_timestamp_it_is_shown() {
        let mut cache = TimestampCache::default();
        let mut event = crate::AuditEvent::new("data.read");
        for (text, ms) in [
            ("2000-02-29T00:00:00.123Z", Some(951_782_400_123)),
            ("2000-02-29T00:00:00.123Z", Some(951_782_400_123)),
            ("2000-02-29T00:00:01.000Z", Some(951_782_401_000)),
            ("not a time", None),
            ("2000-02-29T00:00:00.123Z", Some(951_782_400_123)),
        ] {
            event.timestamp = text.into();
            assert_eq!(cache.unix_ms(&event), ms, "{text}");
        }
        let made = crate::AuditEvent::new("data.read").at(from_unix_ms(42));
        assert_eq!(cache.unix_ms(&made), Some(42), "not yet stamped");
    }

    #[test]
    fn years_past_four_digits_are_written_in_full() {
        // 10000-01-01T00:00:00.000Z: the fixed-width path stops at 9999.
        assert_eq!(
            format_rfc3339_ms(253_402_300_800_000),
            "10000-01-01T00:00:00.000Z"
        );
        assert_eq!(
            format_rfc3339_ms(253_402_300_799_999),
            "9999-12-31T23:59:59.999Z"
        );
    }

    proptest! {
        #[test]
        fn matches_the_general_format(ms in 0u64..253_402_300_799_999) {
            let secs = ms / 1000;
            let (y, m, d) = civil_from_days(i64::try_from(secs / 86_400).unwrap());
            let rem = secs % 86_400;
            let general = format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
                rem / 3600,
                (rem % 3600) / 60,
                rem % 60,
                ms % 1000
            );
            prop_assert_eq!(format_rfc3339_ms(ms), general);
        }

        #[test]
        fn round_trips(ms in 0u64..253_402_300_799_999) {
            prop_assert_eq!(parse_rfc3339_ms(&format_rfc3339_ms(ms)), Some(ms));
        }
    }
}
