//! JWT times (`exp`, `nbf`, `iat`): RFC 7519's NumericDate.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, as RFC 7519 §2 defines a NumericDate:
/// "a JSON numeric value", so `1700000000.5` is as valid as `1700000000`.
///
/// Providers that write fractional times exist, so the fraction is kept
/// (to the nanosecond) and compared exactly rather than rounded: rounding
/// `exp` up or `nbf` down would widen a token's validity, and the opposite
/// would refuse tokens that are still valid. Negative times are refused as
/// malformed, as they were when these claims were whole seconds.
///
/// Whole seconds serialise as a JSON integer, so the tokens rampart issues
/// carry integers, as every consumer expects.
///
/// ```
/// use rampart::auth::NumericDate;
///
/// let exp: NumericDate = serde_json::from_str("1700000000.5")?;
/// assert_eq!(exp.secs(), 1_700_000_000);
/// assert_eq!(exp.subsec_nanos(), 500_000_000);
/// assert_eq!(serde_json::to_string(&NumericDate::from_secs(1_700_000_000))?, "1700000000");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NumericDate {
    since_epoch: Duration,
}

impl NumericDate {
    /// The date `secs` whole seconds after the epoch.
    pub const fn from_secs(secs: u64) -> Self {
        Self {
            since_epoch: Duration::from_secs(secs),
        }
    }

    /// Whole seconds since the epoch (the fraction dropped).
    pub const fn secs(self) -> u64 {
        self.since_epoch.as_secs()
    }

    /// The fraction of a second, in nanoseconds.
    pub const fn subsec_nanos(self) -> u32 {
        self.since_epoch.subsec_nanos()
    }

    /// The time since the epoch, exactly.
    pub const fn since_epoch(self) -> Duration {
        self.since_epoch
    }

    /// As a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + self.since_epoch
    }
}

impl From<u64> for NumericDate {
    fn from(secs: u64) -> Self {
        Self::from_secs(secs)
    }
}

impl Serialize for NumericDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.subsec_nanos() == 0 {
            serializer.serialize_u64(self.secs())
        } else {
            serializer.serialize_f64(self.since_epoch.as_secs_f64())
        }
    }
}

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = NumericDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative number of seconds since the epoch")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumericDate, E> {
                Ok(NumericDate::from_secs(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumericDate, E> {
                u64::try_from(v)
                    .map(NumericDate::from_secs)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumericDate, E> {
                // `try_from_secs_f64` refuses negative, infinite and NaN values and
                // anything past u64 seconds, and truncates below the nanosecond.
                Duration::try_from_secs_f64(v)
                    .map(|since_epoch| NumericDate { since_epoch })
                    .map_err(|_| E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }
        deserializer.deserialize_any(DateVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<NumericDate, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn integers_and_fractions_parse_exactly() {
        assert_eq!(
            parse("1700000000").unwrap(),
            NumericDate::from_secs(1_700_000_000)
        );
        let half = parse("1700000000.5").unwrap();
        assert_eq!(half.secs(), 1_700_000_000);
        assert_eq!(half.subsec_nanos(), 500_000_000);
        assert!(half > NumericDate::from_secs(1_700_000_000));
        assert!(half < NumericDate::from_secs(1_700_000_001));
        assert_eq!(
            parse("1.7e9").unwrap(),
            NumericDate::from_secs(1_700_000_000)
        );
        assert_eq!(parse("0").unwrap(), NumericDate::default());
        assert_eq!(
            parse("18446744073709551615").unwrap().secs(),
            u64::MAX,
            "the largest u64 is a date, as it was before fractions"
        );
    }

    #[test]
    fn negatives_strings_and_out_of_range_are_refused() {
        for bad in [
            "-1",
            "-0.5",
            "1e30",
            "\"1700000000\"",
            "null",
            "true",
            "[1]",
        ] {
            let err = parse(bad).unwrap_err();
            assert!(
                err.to_string()
                    .contains("a non-negative number of seconds since the epoch"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn whole_seconds_serialise_as_integers_and_fractions_as_numbers() {
        let whole = NumericDate::from(1_700_000_000);
        assert_eq!(serde_json::to_string(&whole).unwrap(), "1700000000");
        let half = parse("1700000000.5").unwrap();
        assert_eq!(serde_json::to_string(&half).unwrap(), "1700000000.5");
        assert_eq!(
            half.to_system_time(),
            UNIX_EPOCH + Duration::from_millis(1_700_000_000_500)
        );
        assert_eq!(half.since_epoch(), Duration::from_millis(1_700_000_000_500));
    }
}
