//! Per-attempt random values: state, nonce and the PKCE verifier, from the OS generator.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::Rng;
use sha2::{Digest, Sha256};

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// RFC 7636 4.1: `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"`.
const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

fn pick(len: usize, charset: &[u8]) -> String {
    (0..len)
        .map(|_| char::from(charset[OsRng.gen_range(0..charset.len())]))
        .collect()
}

/// `len` characters of `[A-Za-z0-9]` (state, nonce: 32 of them are ~190 bits).
pub(crate) fn alnum(len: usize) -> String {
    pick(len, ALNUM)
}

/// A PKCE code verifier: 64 characters of the unreserved set (RFC 7636 allows 43-128).
pub(crate) fn pkce_verifier() -> String {
    pick(64, UNRESERVED)
}

/// The S256 `code_challenge` of a verifier: base64url (no padding) of its SHA-256.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let s = alnum(32);
        assert_eq!(s.len(), 32);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(s, alnum(32));
        let v = pkce_verifier();
        assert_eq!(v.len(), 64);
        assert!(v.bytes().all(|b| UNRESERVED.contains(&b)));
    }

    #[test]
    fn challenge_is_unpadded_base64url_sha256() {
        // Computed independently: printf %s VERIFIER | openssl dgst -sha256 -binary | base64url.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r7wW1gFWFOEjXk"),
            "bwWFMyPfdG9qreDhH2lmftFx_dFeLDalzcT1gb_j68g"
        );
    }
}
