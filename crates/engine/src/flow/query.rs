//! The executor's query handling: decoding `query`, and re-encoding parameters exactly as
//! authentik does for the continuation URL.

use std::collections::BTreeMap;

pub type Query = BTreeMap<String, Vec<String>>;

/// Decodes an `application/x-www-form-urlencoded` string into a multi-map.
pub fn decode(q: &str) -> Query {
    let mut out: Query = BTreeMap::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(unescape(k)).or_default().push(unescape(v));
    }
    out
}

pub fn unescape(s: &str) -> String {
    let s = s.replace('+', " ");
    urlencoding_decode(&s)
}

fn urlencoding_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Form-encodes one value: unreserved characters stay, spaces become `+`, everything else is
/// percent-encoded (including `/`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Re-encodes parameters in their original order, one value per key (the last).
pub fn encode_last(params: &[(String, String)]) -> String {
    let mut keys: Vec<&String> = vec![];
    for (k, _) in params {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.iter()
        .map(|k| {
            let v = params.iter().rev().find(|(kk, _)| kk == *k).map(|(_, v)| v.as_str()).unwrap_or("");
            format!("{}={}", escape(k), escape(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Re-encodes a multi-map (used for links that carry the stored query along).
pub fn encode_map(q: &Query) -> String {
    let mut parts = vec![];
    for (k, vs) in q {
        for v in vs {
            parts.push(format!("{}={}", escape(k), escape(v)));
        }
    }
    parts.join("&")
}

/// `next` that is safe to redirect to: a path on this site.
pub fn is_safe_next(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn continuation_encoding_matches_authentik() {
        let p = vec![("query".to_string(), "next=/app/".to_string())];
        assert_eq!(encode_last(&p), "query=next%3D%2Fapp%2F");
        assert_eq!(escape("a b~"), "a+b~");
    }
    #[test]
    fn decoding_round_trips() {
        let q = decode("next=%2Fapp%2F&itoken=abc&x=a+b");
        assert_eq!(q["next"], vec!["/app/"]);
        assert_eq!(q["x"], vec!["a b"]);
    }
    #[test]
    fn only_site_relative_next_is_safe() {
        assert!(is_safe_next("/app/"));
        for bad in ["//evil.com", "/\\evil", "https://evil.com", "javascript:alert(1)", "/a\nb", ""] {
            assert!(!is_safe_next(bad), "{bad}");
        }
    }
}
