//! Password hashing: Argon2id for everything we write; Django's `pbkdf2_sha256$` hashes (from
//! an authentik database) verify too, and the caller re-hashes them after a successful login.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use sha2::Sha256;

/// Django's marker for a password that can never match.
pub const UNUSABLE: &str = "!";

#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, but stored with a legacy scheme: store `hash(password)` now.
    YesNeedsRehash,
}

fn argon2() -> Argon2<'static> {
    // OWASP's second recommended Argon2id configuration: 19 MiB, 2 iterations, 1 lane.
    let params = argon2::Params::new(19 * 1024, 2, 1, None).expect("valid argon2 params");
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing cannot fail with valid params")
        .to_string()
}

pub fn verify(password: &str, stored: &str) -> Verified {
    if stored.starts_with("$argon2") {
        return match PasswordHash::new(stored) {
            Ok(h) if argon2().verify_password(password.as_bytes(), &h).is_ok() => Verified::Yes,
            _ => Verified::No,
        };
    }
    if let Some(rest) = stored.strip_prefix("pbkdf2_sha256$") {
        let mut parts = rest.splitn(3, '$');
        let (Some(iter), Some(salt), Some(expected)) = (parts.next(), parts.next(), parts.next()) else {
            return Verified::No;
        };
        let Ok(iterations) = iter.parse::<u32>() else { return Verified::No };
        if iterations == 0 || iterations > 10_000_000 {
            return Verified::No;
        }
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt.as_bytes(), iterations, &mut out);
        let computed = base64::engine::general_purpose::STANDARD.encode(out);
        return if constant_time_eq(computed.as_bytes(), expected.as_bytes()) {
            Verified::YesNeedsRehash
        } else {
            Verified::No
        };
    }
    Verified::No
}

pub fn is_usable(stored: &str) -> bool {
    !stored.starts_with('!') && !stored.is_empty()
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn argon2_round_trip() {
        let h = hash("s3cret");
        assert!(h.starts_with("$argon2id$"));
        assert_eq!(verify("s3cret", &h), Verified::Yes);
        assert_eq!(verify("wrong", &h), Verified::No);
    }
    #[test]
    fn django_pbkdf2_verifies_and_asks_for_rehash() {
        // Made with Django's PBKDF2PasswordHasher: make_password("hunter2", "saltsalt", "pbkdf2_sha256") at 1000 iterations.
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"hunter2", b"saltsalt", 1000, &mut out);
        let stored = format!("pbkdf2_sha256$1000$saltsalt${}", base64::engine::general_purpose::STANDARD.encode(out));
        assert_eq!(verify("hunter2", &stored), Verified::YesNeedsRehash);
        assert_eq!(verify("hunter3", &stored), Verified::No);
    }
    #[test]
    fn unusable_never_matches() {
        assert_eq!(verify("", UNUSABLE), Verified::No);
        assert!(!is_usable(UNUSABLE));
    }
}
