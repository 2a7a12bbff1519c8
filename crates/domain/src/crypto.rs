//! Secrets at rest and random tokens.
//!
//! Values that must be read back (OAuth consumer secrets, access tokens, API token keys that
//! `view_key` returns) are sealed with AES-256-GCM under a key derived from the server's
//! secret key. The sealed form is `enc:v1:<base64(nonce || ciphertext)>`.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::{distributions::Alphanumeric, Rng, RngCore};
use sha2::{Digest, Sha256};

const PREFIX: &str = "enc:v1:";

#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
    lookup_key: [u8; 32],
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    pub fn new(secret_key: &str) -> Sealer {
        let enc = Sha256::digest(format!("portcullis-seal:{secret_key}"));
        let lookup = Sha256::digest(format!("portcullis-lookup:{secret_key}"));
        Sealer {
            cipher: Aes256Gcm::new_from_slice(&enc).expect("32-byte key"),
            lookup_key: lookup.into(),
        }
    }

    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("AES-GCM encryption does not fail");
        let mut buf = nonce.to_vec();
        buf.extend(ct);
        format!("{PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(buf))
    }

    /// Opens a sealed value; `None` if it was sealed under another key or is corrupt.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let raw = base64::engine::general_purpose::STANDARD.decode(sealed.strip_prefix(PREFIX)?).ok()?;
        if raw.len() < 12 {
            return None;
        }
        let (nonce, ct) = raw.split_at(12);
        let pt = self.cipher.decrypt(Nonce::from_slice(nonce), ct).ok()?;
        String::from_utf8(pt).ok()
    }

    /// A keyed digest for looking a secret up by value (API token keys) without storing it
    /// in a form that a database leak turns into working credentials.
    pub fn lookup_digest(&self, secret: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.lookup_key).expect("any key length");
        mac.update(secret.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// `n` random characters from `[A-Za-z0-9]`.
pub fn random_alnum(n: usize) -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(n).map(char::from).collect()
}

pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn seal_round_trip_and_key_separation() {
        let a = Sealer::new("k1");
        let sealed = a.seal("top secret");
        assert!(sealed.starts_with(PREFIX));
        assert!(!sealed.contains("top secret"));
        assert_eq!(a.open(&sealed).as_deref(), Some("top secret"));
        assert_eq!(Sealer::new("k2").open(&sealed), None);
        assert_ne!(a.seal("x"), a.seal("x"));
    }
    #[test]
    fn lookup_digest_is_stable_and_keyed() {
        let a = Sealer::new("k1");
        assert_eq!(a.lookup_digest("t"), a.lookup_digest("t"));
        assert_ne!(a.lookup_digest("t"), Sealer::new("k2").lookup_digest("t"));
    }
}
