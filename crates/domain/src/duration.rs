//! authentik's duration strings: `hours=1;minutes=2;seconds=3`.

/// Parses a duration string into microseconds, with authentik's rules: `;`-separated pairs of
/// exactly one `=`, case-insensitive known keys (unknown keys skipped), decimal values that may
/// be negative or fractional; at least one known key. Values too large to represent are invalid.
pub fn parse(s: &str) -> Option<i64> {
    let mut total: f64 = 0.0;
    let mut known = false;
    for pair in s.split(';') {
        let parts: Vec<&str> = pair.split('=').collect();
        if parts.len() != 2 {
            return None;
        }
        let value: f64 = parts[1].trim().parse().ok()?;
        if !value.is_finite() {
            return None;
        }
        let unit = match parts[0].to_ascii_lowercase().as_str() {
            "microseconds" => 1.0,
            "milliseconds" => 1e3,
            "seconds" => 1e6,
            "minutes" => 60e6,
            "hours" => 3600e6,
            "days" => 86400e6,
            "weeks" => 604800e6,
            _ => continue,
        };
        known = true;
        total += value * unit;
    }
    // Beyond what fits in microseconds (authentik crashes there; we call it invalid).
    if !known || !total.is_finite() || total.abs() >= 9.0e18 {
        return None;
    }
    Some(total.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::parse;
    #[test]
    fn accepts_authentik_forms() {
        assert_eq!(parse("hours=1;minutes=2;seconds=3"), Some((3600 + 120 + 3) * 1_000_000));
        assert_eq!(parse("seconds=0"), Some(0));
        assert_eq!(parse("Days=1"), Some(86_400_000_000));
        assert_eq!(parse("weeks=-1"), Some(-604_800_000_000));
        assert_eq!(parse("minutes= 1.5 "), Some(90_000_000));
        assert_eq!(parse("hours=1; minutes=2"), Some(3_600_000_000));
        assert_eq!(parse("foo=1;seconds=2"), Some(2_000_000));
    }
    #[test]
    fn rejects_everything_else() {
        for bad in ["", "hours=1;", "hours", "hours=x", "hours=nan", "foo=1", "hours=1=2", "hours=1e20", "hours=inf"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
