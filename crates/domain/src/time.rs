//! Instants: stored as microseconds since the epoch, written as authentik writes them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

pub fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}

/// `2024-04-16T17:42:00.123456Z`, microseconds only when not zero.
pub fn format_micros(us: i64) -> String {
    let dt = Utc.timestamp_micros(us).single().unwrap_or_default();
    if us.rem_euclid(1_000_000) == 0 {
        dt.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        dt.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }
}

/// Python's `str(datetime)` form used in display names: `2024-04-16 17:42:00.123456+00:00`.
pub fn format_python(us: i64) -> String {
    let dt = Utc.timestamp_micros(us).single().unwrap_or_default();
    if us.rem_euclid(1_000_000) == 0 {
        dt.format("%Y-%m-%d %H:%M:%S+00:00").to_string()
    } else {
        dt.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string()
    }
}

/// Parses what DRF's DateTimeField accepts: ISO 8601 with an optional offset (none means UTC),
/// or a bare date meaning midnight UTC.
pub fn parse(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc).timestamp_micros());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M%:z", "%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.with_timezone(&Utc).timestamp_micros());
        }
    }
    let naive = s.strip_suffix('Z').unwrap_or(s);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(dt.and_utc().timestamp_micros());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn formats_without_zero_micros() {
        let t = parse("2030-01-01T00:00:00Z").unwrap();
        assert_eq!(format_micros(t), "2030-01-01T00:00:00Z");
        assert_eq!(format_micros(t + 123456), "2030-01-01T00:00:00.123456Z");
    }
    #[test]
    fn parses_offsets_dates_and_naive() {
        assert_eq!(parse("2030-01-01"), parse("2030-01-01T00:00:00Z"));
        assert_eq!(parse("2030-01-01T02:00:00+02:00"), parse("2030-01-01T00:00:00"));
        assert!(parse("yesterday").is_none());
    }
}
