//! Secrets at rest: field encryption (AES-256-GCM with a key id for rotation), keyed hash
//! indexes for exact look-up of encrypted values, and password hashing (Argon2id).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

use crate::StoreError;

/// Format byte of an encrypted field, so the layout can change later.
const FORMAT_V1: u8 = 1;

/// The encryption keys, by id, and the one new values are written with.
///
/// Debug output never shows key material.
pub struct Keyring {
    keys: BTreeMap<u8, Aes256Gcm>,
    active: u8,
    index_key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Keyring(active={}, ids={:?})",
            self.active,
            self.keys.keys().collect::<Vec<_>>()
        )
    }
}

impl Keyring {
    /// `keys` is `id:base64,id:base64…` (32-byte keys); `index_key` is base64 of 32 bytes.
    pub fn from_config(keys: &str, active: u8, index_key: &str) -> Result<Keyring, StoreError> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut map = BTreeMap::new();
        for part in keys.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, key) = part
                .split_once(':')
                .ok_or(StoreError::Crypto("key_format"))?;
            let id: u8 = id
                .trim()
                .parse()
                .map_err(|_| StoreError::Crypto("key_id"))?;
            let raw = Zeroizing::new(
                b64.decode(key.trim())
                    .map_err(|_| StoreError::Crypto("key_base64"))?,
            );
            if raw.len() != 32 {
                return Err(StoreError::Crypto("key_length"));
            }
            map.insert(
                id,
                Aes256Gcm::new_from_slice(&raw).map_err(|_| StoreError::Crypto("key_length"))?,
            );
        }
        if !map.contains_key(&active) {
            return Err(StoreError::Crypto("active_key_missing"));
        }
        let idx = Zeroizing::new(
            b64.decode(index_key.trim())
                .map_err(|_| StoreError::Crypto("index_key_base64"))?,
        );
        let index_key: [u8; 32] = idx
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Crypto("index_key_length"))?;
        Ok(Keyring {
            keys: map,
            active,
            index_key: Zeroizing::new(index_key),
        })
    }

    /// A throwaway keyring for tests.
    pub fn ephemeral() -> Keyring {
        let k = generate_key();
        Keyring::from_config(&format!("1:{k}"), 1, &generate_key())
            .expect("generated keys are valid")
    }

    pub fn active_id(&self) -> u8 {
        self.active
    }

    /// Encrypts `plain` for the column named by `aad` (`"users.resident_id"`). Binding the
    /// column into the ciphertext stops a value from being copied into another column.
    pub fn encrypt(&self, aad: &str, plain: &str) -> Vec<u8> {
        let cipher = &self.keys[&self.active];
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .expect("AES-GCM encryption does not fail for in-memory buffers");
        let mut out = Vec::with_capacity(2 + 12 + ct.len());
        out.push(FORMAT_V1);
        out.push(self.active);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn decrypt(&self, aad: &str, blob: &[u8]) -> Result<String, StoreError> {
        if blob.len() < 2 + 12 + 16 || blob[0] != FORMAT_V1 {
            return Err(StoreError::Crypto("ciphertext_format"));
        }
        let cipher = self
            .keys
            .get(&blob[1])
            .ok_or(StoreError::Crypto("unknown_key_id"))?;
        let plain = cipher
            .decrypt(
                Nonce::from_slice(&blob[2..14]),
                Payload {
                    msg: &blob[14..],
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Crypto("decrypt_failed"))?;
        String::from_utf8(plain).map_err(|_| StoreError::Crypto("not_utf8"))
    }

    /// A stored value as a list shows it: decrypted, then masked. An unreadable value shows
    /// nothing rather than failing the whole list.
    pub fn masked(
        &self,
        aad: &str,
        blob: Option<Vec<u8>>,
        mask: fn(&str) -> String,
    ) -> Option<String> {
        blob.and_then(|b| self.decrypt(aad, &b).ok())
            .map(|s| mask(&s))
    }

    /// The key id a stored value was written with (for rotation).
    pub fn key_id_of(blob: &[u8]) -> Option<u8> {
        (blob.len() > 2 && blob[0] == FORMAT_V1).then(|| blob[1])
    }

    /// A keyed hash of a normalised value, for an indexed exact look-up of an encrypted
    /// field without storing the value. `kind` separates domains (an ID number and a
    /// phone number that happened to share digits hash differently).
    pub fn blind_index(&self, kind: &str, normalised: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.index_key.as_slice())
            .expect("any key length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(normalised.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// A new random 32-byte key, base64.
pub fn generate_key() -> String {
    let mut k = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(k.as_mut());
    base64::engine::general_purpose::STANDARD.encode(k.as_ref())
}

/// A random URL-safe token of 32 bytes (sessions, CSRF, API tokens).
pub fn random_token() -> String {
    let mut k = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut k);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k)
}

/// SHA-256, hex: how session and API tokens are stored (a database leak does not leak a
/// usable token; the tokens are random, so no salt or slow hash is needed).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Argon2id password hashing with parameters from configuration.
#[derive(Clone)]
pub struct PasswordHasher {
    params: argon2::Params,
}

impl PasswordHasher {
    /// OWASP's recommended minimum: 19 MiB, 2 passes, 1 lane.
    pub fn recommended() -> PasswordHasher {
        PasswordHasher::with_cost(19 * 1024, 2)
    }

    pub fn with_cost(memory_kib: u32, passes: u32) -> PasswordHasher {
        PasswordHasher {
            params: argon2::Params::new(memory_kib, passes, 1, None).expect("valid argon2 params"),
        }
    }

    fn argon(&self) -> argon2::Argon2<'static> {
        argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            self.params.clone(),
        )
    }

    pub fn hash(&self, password: &str) -> String {
        use argon2::password_hash::{PasswordHasher as _, SaltString};
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        self.argon()
            .hash_password(password.as_bytes(), &salt)
            .expect("argon2 hashing does not fail with valid params")
            .to_string()
    }

    /// Verifies with the parameters recorded in the hash itself, so a cost change does
    /// not lock anyone out.
    pub fn verify(&self, password: &str, hash: &str) -> bool {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        match PasswordHash::new(hash) {
            Ok(parsed) => self
                .argon()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    }

    /// A hash to verify against when the user does not exist, so that the response time
    /// does not reveal which user names exist.
    pub fn dummy_verify(&self, password: &str) {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let h = DUMMY.get_or_init(|| self.hash("dummy-password-for-timing"));
        let _ = self.verify(password, h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_decrypts_only_in_its_own_column() {
        let k = Keyring::ephemeral();
        let blob = k.encrypt("users.resident_id", "331102199001011234");
        assert_eq!(
            k.decrypt("users.resident_id", &blob).unwrap(),
            "331102199001011234"
        );
        assert!(k.decrypt("users.phone", &blob).is_err());
        let mut tampered = blob.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(k.decrypt("users.resident_id", &tampered).is_err());
    }

    #[test]
    fn old_values_stay_readable_after_a_new_key_becomes_active() {
        let (k1, k2, idx) = (generate_key(), generate_key(), generate_key());
        let old = Keyring::from_config(&format!("1:{k1}"), 1, &idx).unwrap();
        let blob = old.encrypt("t.c", "secret");
        let new = Keyring::from_config(&format!("1:{k1},2:{k2}"), 2, &idx).unwrap();
        assert_eq!(new.decrypt("t.c", &blob).unwrap(), "secret");
        assert_eq!(Keyring::key_id_of(&new.encrypt("t.c", "x")), Some(2));
        assert_eq!(old.blind_index("rid", "1"), new.blind_index("rid", "1"));
    }

    #[test]
    fn passwords_verify_and_keys_do_not_print() {
        let h = PasswordHasher::with_cost(1024, 1);
        let hash = h.hash("Lishui-rescue-2026");
        assert!(hash.starts_with("$argon2id$"));
        assert!(h.verify("Lishui-rescue-2026", &hash));
        assert!(!h.verify("lishui-rescue-2026", &hash));
        let (key, idx) = (generate_key(), generate_key());
        let k = Keyring::from_config(&format!("7:{key}"), 7, &idx).unwrap();
        let shown = format!("{k:?}");
        assert!(
            !shown.contains(&key[..8]) && !shown.contains(&idx[..8]),
            "{shown}"
        );
    }
}
