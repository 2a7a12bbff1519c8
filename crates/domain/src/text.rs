//! Text rules shared by several fields.

/// `^[-a-zA-Z0-9_]+$`
pub fn is_slug(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Django's EmailValidator, reduced to what matters: one `@`, a non-empty local part made of
/// atom characters or dots, and a domain of dot-separated labels with a TLD.
pub fn is_email(s: &str) -> bool {
    if s.len() > 320 || s.chars().any(|c| c.is_whitespace()) {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    if local.is_empty() || domain.is_empty() || local.len() > 64 {
        return false;
    }
    let local_ok = local.split('.').all(|part| {
        !part.is_empty()
            && part.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c))
    });
    if !local_ok {
        return false;
    }
    if domain == "localhost" {
        return true;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let labels_ok = labels.iter().all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    let tld = labels.last().unwrap();
    labels_ok && tld.len() >= 2 && !tld.chars().all(|c| c.is_ascii_digit())
}

/// Splits a search value into terms as DRF does: on whitespace and commas, NULs removed.
pub fn search_terms(s: &str) -> Vec<String> {
    s.replace('\0', "")
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn slug_rules() {
        assert!(is_slug("a-b_C9"));
        assert!(!is_slug(""));
        assert!(!is_slug("a b"));
        assert!(!is_slug("ä"));
    }
    #[test]
    fn email_rules() {
        assert!(is_email("a@example.com"));
        assert!(is_email("first.last+tag@sub.example.org"));
        assert!(!is_email("a@b"));
        assert!(!is_email("no-at"));
        assert!(!is_email("a@@b.com"));
        assert!(!is_email("a b@c.com"));
    }
    #[test]
    fn search_splits_on_space_and_comma() {
        assert_eq!(search_terms(" a,b  \"c d\" "), vec!["a", "b", "\"c", "d\""]);
    }
}
