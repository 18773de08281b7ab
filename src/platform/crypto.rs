//! Field encryption, blind indexes, password hashing and random tokens.
//!
//! - Identity data are sealed with XChaCha20-Poly1305 (AEAD). A ciphertext is
//!   `b"S1" ‖ key id (u32, big endian) ‖ 24-byte nonce ‖ sealed bytes`; the associated data
//!   binds it to its table and column, so a ciphertext moved to another field fails to open.
//! - Blind indexes (HMAC-SHA-256 under a separate index key) allow exact-match search on
//!   encrypted fields without decrypting them. The index key never rotates.
//! - The key ring lives in a key file (`<data_dir>/satis.keys`, mode 0600), created on first
//!   start if absent, or in the file named by `SATIS_KEYS_FILE`.
//! - Passwords: Argon2id (m = 19 MiB, t = 2, p = 1), hashed and verified off the async runtime.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 2] = b"S1";
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = 2 + 4 + NONCE_LEN;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("encrypted value is damaged or was not made for this field")]
    Tampered,
    #[error("encrypted value needs key {0}, which is not in the key file")]
    UnknownKey(u32),
    #[error("encryption failed")]
    Seal,
    #[error("password hashing failed")]
    Hash,
}

/// The encryption keys (by id; the highest is used for new values) and the blind-index key.
#[derive(Clone)]
pub struct KeyRing {
    keys: BTreeMap<u32, [u8; 32]>,
    index_key: [u8; 32],
    /// The last audit entry that may carry an unkeyed hash: 0 for a key file made since the
    /// audit chain is keyed; recorded once for an older installation (see
    /// `audit::record_legacy_boundary`). Kept here, outside the database, so that whoever
    /// can write the database cannot pass rewritten entries off as old ones.
    audit_legacy_until: Option<i64>,
    /// The network-wide linkage secret (issue 26; `linkage` line of the key file): keys the
    /// linkage keys of people, apart from the blind-index key. `None` for a key file written
    /// before it existed: then one is derived from the index key until `satis keys rotate`
    /// writes a random one.
    linkage: Option<[u8; 32]>,
    /// The linkage encoder under that secret, made once (thousands of HMACs and two
    /// shuffles) and shared by every write and comparison; made again when the secret changes.
    encoder: std::sync::OnceLock<std::sync::Arc<crate::platform::linkage::Encoder>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyRing {{ key ids: {:?}, keys redacted }}",
            self.keys.keys()
        )
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rng().fill_bytes(&mut b);
    b
}

/// What happened when the key file was opened.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyFileState {
    Existing,
    Created,
}

impl KeyRing {
    /// A fresh ring with one key (used on first start and in tests).
    pub fn generate() -> KeyRing {
        let mut keys = BTreeMap::new();
        keys.insert(1, random_bytes::<32>());
        KeyRing {
            keys,
            index_key: random_bytes::<32>(),
            audit_legacy_until: Some(0),
            linkage: Some(random_bytes::<32>()),
            encoder: std::sync::OnceLock::new(),
        }
    }

    /// See the field: `None` for a key file written before the audit chain was keyed.
    pub fn audit_legacy_until(&self) -> Option<i64> {
        self.audit_legacy_until
    }

    /// Records the boundary (once: a recorded one never moves).
    pub fn set_audit_legacy_until(&mut self, seq: i64) {
        if self.audit_legacy_until.is_none() {
            self.audit_legacy_until = Some(seq);
        }
    }

    /// The id new values are sealed with.
    pub fn current_id(&self) -> u32 {
        self.keys.keys().next_back().copied().unwrap_or(1)
    }

    pub fn key_ids(&self) -> Vec<u32> {
        self.keys.keys().copied().collect()
    }

    /// Adds a new key, which becomes current. Old keys stay, to open old values. The linkage
    /// secret is replaced too: every stored linkage key must then be made again
    /// (`cases::reencode_linkage_keys`), which needs the identities, not the old secret.
    pub fn add_key(&mut self) -> u32 {
        let id = self.current_id() + 1;
        self.keys.insert(id, random_bytes::<32>());
        self.linkage = Some(random_bytes::<32>());
        self.encoder = std::sync::OnceLock::new();
        id
    }

    /// The encoder of linkage keys under [`KeyRing::linkage_secret`], made on first use.
    pub fn linkage_encoder(&self) -> &crate::platform::linkage::Encoder {
        self.encoder.get_or_init(|| {
            std::sync::Arc::new(crate::platform::linkage::Encoder::new(
                &self.linkage_secret(),
            ))
        })
    }

    /// The linkage secret people's linkage keys are made with.
    pub fn linkage_secret(&self) -> [u8; 32] {
        match self.linkage {
            Some(s) => s,
            None => <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key)
                .map(|mut m| {
                    m.update(b"satis linkage secret v1");
                    let d: [u8; 32] = m.finalize().into_bytes().into();
                    d
                })
                .unwrap_or(self.index_key),
        }
    }

    /// A short name of the linkage secret and of the keys' layout (not the secret): stored
    /// beside each linkage key, so that keys made under an older secret, or laid out as an
    /// older version made them, are known and made again.
    pub fn linkage_tag(&self) -> String {
        let mut named = self.linkage_secret().to_vec();
        named.extend_from_slice(crate::platform::linkage::LAYOUT.as_bytes());
        sha256_hex(&named)[..16].to_owned()
    }

    /// The key file's text form: `index <base64>` and one `key <id> <base64>` line per key.
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::from(
            "# SATIS key file: losing it makes every encrypted field unreadable. Back it up\n\
             # apart from the database, and never commit it.\n",
        );
        out.push_str(&format!("index {}\n", B64.encode(self.index_key)));
        for (id, k) in &self.keys {
            out.push_str(&format!("key {id} {}\n", B64.encode(k)));
        }
        if let Some(seq) = self.audit_legacy_until {
            out.push_str(&format!("audit-legacy-until {seq}\n"));
        }
        if let Some(l) = &self.linkage {
            out.push_str(&format!("linkage {}\n", B64.encode(l)));
        }
        out
    }

    pub(crate) fn from_text(text: &str, path: &str) -> Result<KeyRing, CryptoError> {
        let bad = |reason: String| CryptoError::KeyFile {
            path: path.to_owned(),
            reason,
        };
        let decode = |s: &str| -> Result<[u8; 32], CryptoError> {
            B64.decode(s.trim())
                .ok()
                .and_then(|v| <[u8; 32]>::try_from(v.as_slice()).ok())
                .ok_or_else(|| bad("a key is not 32 bytes of base64".into()))
        };
        let mut keys = BTreeMap::new();
        let mut index_key = None;
        let mut audit_legacy_until = None;
        let mut linkage = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["index", k] => index_key = Some(decode(k)?),
                ["linkage", k] => linkage = Some(decode(k)?),
                ["key", id, k] => {
                    let id: u32 = id
                        .parse()
                        .map_err(|_| bad(format!("line {}: bad key id", n + 1)))?;
                    keys.insert(id, decode(k)?);
                }
                ["audit-legacy-until", seq] => {
                    audit_legacy_until = Some(
                        seq.parse::<i64>()
                            .map_err(|_| bad(format!("line {}: bad audit-legacy-until", n + 1)))?,
                    );
                }
                _ => return Err(bad(format!("line {} is not understood", n + 1))),
            }
        }
        let index_key = index_key.ok_or_else(|| bad("no index key".into()))?;
        if keys.is_empty() {
            return Err(bad("no encryption key".into()));
        }
        Ok(KeyRing {
            keys,
            index_key,
            audit_legacy_until,
            linkage,
            encoder: std::sync::OnceLock::new(),
        })
    }

    /// Opens the key file, creating it (mode 0600) when it does not exist.
    pub fn open_or_create(path: &Path) -> Result<(KeyRing, KeyFileState), CryptoError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((Self::from_text(&text, &shown)?, KeyFileState::Existing)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let ring = Self::generate();
                ring.save(path)?;
                Ok((ring, KeyFileState::Created))
            }
            Err(e) => Err(CryptoError::KeyFile {
                path: shown,
                reason: e.to_string(),
            }),
        }
    }

    /// Writes the key file atomically with mode 0600.
    pub fn save(&self, path: &Path) -> Result<(), CryptoError> {
        let shown = path.display().to_string();
        let err = |e: std::io::Error| CryptoError::KeyFile {
            path: shown.clone(),
            reason: e.to_string(),
        };
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(err)?;
        }
        let tmp = PathBuf::from(format!("{}.tmp", path.display()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp).map_err(err)?;
        f.write_all(self.to_text().as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)?;
        Ok(())
    }

    /// Seals `plaintext` for the field named by `context` (e.g. `"app_user.display_name"`).
    pub fn encrypt(&self, context: &str, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let id = self.current_id();
        let key = self.keys.get(&id).ok_or(CryptoError::UnknownKey(id))?;
        let cipher = XChaCha20Poly1305::new(key.into());
        let nonce = random_bytes::<NONCE_LEN>();
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Seal)?;
        let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn encrypt_str(&self, context: &str, plaintext: &str) -> Result<Vec<u8>, CryptoError> {
        self.encrypt(context, plaintext.as_bytes())
    }

    /// Opens a value sealed by [`encrypt`](Self::encrypt). Any change to it is detected.
    pub fn decrypt(&self, context: &str, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if data.len() < HEADER_LEN + 16 || &data[..2] != MAGIC {
            return Err(CryptoError::Tampered);
        }
        let mut id_bytes = [0u8; 4];
        id_bytes.copy_from_slice(&data[2..6]);
        let id = u32::from_be_bytes(id_bytes);
        let key = self.keys.get(&id).ok_or(CryptoError::UnknownKey(id))?;
        let cipher = XChaCha20Poly1305::new(key.into());
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&data[6..HEADER_LEN]);
        cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &data[HEADER_LEN..],
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Tampered)
    }

    pub fn decrypt_str(&self, context: &str, data: &[u8]) -> Result<String, CryptoError> {
        String::from_utf8(self.decrypt(context, data)?).map_err(|_| CryptoError::Tampered)
    }

    /// The key id a ciphertext was sealed with.
    pub fn key_id_of(data: &[u8]) -> Option<u32> {
        (data.len() >= 6 && &data[..2] == MAGIC).then(|| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&data[2..6]);
            u32::from_be_bytes(b)
        })
    }

    /// A keyed, deterministic index of `value` for exact-match search: the same value in the
    /// same `kind` gives the same index; nothing about the value can be read from it.
    pub fn blind_index(&self, kind: &str, value: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key)
            .unwrap_or_else(|_| unreachable_hmac());
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A 32-byte key for another purpose, derived from the index key (which never rotates, so
    /// what it protects stays verifiable across `satis keys rotate`). Domain-separated: one
    /// purpose's key says nothing about another's, nor about the blind indexes.
    fn derived(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key)
            .unwrap_or_else(|_| unreachable_hmac());
        mac.update(b"satis derived key\0");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// HMAC-SHA-256 of `data` under the audit chain's key: the database never holds it, so an
    /// entry rewritten in the database cannot be given a valid hash.
    pub fn audit_mac(&self, data: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.derived("audit chain v1"))
            .unwrap_or_else(|_| unreachable_hmac());
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// The Ed25519 key that signs audit checkpoints (its public half is printed in every
    /// checkpoint, for the DPO to compare with the one noted at the first checkpoint).
    pub fn checkpoint_key(&self) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&self.derived("audit checkpoint v1"))
    }
}

#[allow(clippy::panic)]
fn unreachable_hmac() -> Hmac<Sha256> {
    panic!("HMAC-SHA-256 accepts keys of any length")
}

/// SHA-256 as lowercase hex: for high-entropy secrets (session and API tokens, recovery codes)
/// that need no slow hash.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A URL-safe random token with `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Compares two secrets in constant time.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

fn argon2() -> Argon2<'static> {
    // OWASP's recommended minimum for Argon2id. Params::new only fails on out-of-range values.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with Argon2id (blocking: call from `spawn_blocking`).
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(|_| CryptoError::Hash)?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| CryptoError::Hash)
}

/// A valid hash of no one's password, verified for unknown users so that timing does not tell
/// whether an account exists.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_token(24)).unwrap_or_default())
}

/// Verifies a password against a stored hash, or against a dummy hash when there is none
/// (blocking: call from `spawn_blocking`). Always spends the same work.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let ok = argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && real
}

/// [`hash_password`] off the async runtime.
pub async fn hash_password_async(password: String) -> Result<String, CryptoError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| CryptoError::Hash)?
}

/// [`verify_password`] off the async runtime.
pub async fn verify_password_async(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, stored.as_deref()))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_linkage_encoder_follows_a_new_secret() {
        use crate::platform::linkage::{Encoder, Fields};
        let nats = vec!["NG".to_owned()];
        let person = Fields {
            names: "Blessing Osagie",
            birth_year: Some(1998),
            gender: Some("female"),
            nationalities: &nats,
        };
        let mut ring = KeyRing::generate();
        let before = ring.linkage_encoder().encode(&person);
        assert_eq!(before, ring.clone().linkage_encoder().encode(&person));
        // After `satis keys rotate` keys are made under the new secret, not the cached one.
        ring.add_key();
        let after = ring.linkage_encoder().encode(&person);
        assert_ne!(before, after);
        assert_eq!(after, Encoder::new(&ring.linkage_secret()).encode(&person));
    }

    #[test]
    fn sealed_values_open_only_in_their_field_and_untouched() {
        let ring = KeyRing::generate();
        let sealed = ring.encrypt_str("person.name", "Maria Rossi").unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"Maria"));
        assert_eq!(
            ring.decrypt_str("person.name", &sealed).unwrap(),
            "Maria Rossi"
        );
        assert!(matches!(
            ring.decrypt_str("person.alias", &sealed),
            Err(CryptoError::Tampered)
        ));
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert!(
                ring.decrypt("person.name", &t).is_err(),
                "byte {i} flipped went unnoticed"
            );
        }
        assert!(ring.decrypt("person.name", b"short").is_err());
        let other = KeyRing::generate();
        assert!(other.decrypt("person.name", &sealed).is_err());
    }

    #[test]
    fn rotation_keeps_old_values_readable_and_seals_new_ones_with_the_new_key() {
        let mut ring = KeyRing::generate();
        let old = ring.encrypt_str("f", "x").unwrap();
        let index_before = ring.blind_index("phone", "+39 333");
        let id = ring.add_key();
        assert_eq!(id, 2);
        let new = ring.encrypt_str("f", "x").unwrap();
        assert_eq!(KeyRing::key_id_of(&old), Some(1));
        assert_eq!(KeyRing::key_id_of(&new), Some(2));
        assert_eq!(ring.decrypt_str("f", &old).unwrap(), "x");
        assert_eq!(ring.blind_index("phone", "+39 333"), index_before);
    }

    #[test]
    fn key_file_round_trips_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k").join("satis.keys");
        let (ring, state) = KeyRing::open_or_create(&path).unwrap();
        assert_eq!(state, KeyFileState::Created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let (again, state) = KeyRing::open_or_create(&path).unwrap();
        assert_eq!(state, KeyFileState::Existing);
        let sealed = ring.encrypt_str("f", "hello").unwrap();
        assert_eq!(again.decrypt_str("f", &sealed).unwrap(), "hello");
        std::fs::write(&path, "nonsense\n").unwrap();
        assert!(KeyRing::open_or_create(&path).is_err());
    }

    #[test]
    fn blind_indexes_match_equal_values_only() {
        let ring = KeyRing::generate();
        assert_eq!(
            ring.blind_index("phone", "123"),
            ring.blind_index("phone", "123")
        );
        assert_ne!(
            ring.blind_index("phone", "123"),
            ring.blind_index("phone", "124")
        );
        assert_ne!(
            ring.blind_index("phone", "123"),
            ring.blind_index("doc", "123")
        );
        assert_ne!(
            KeyRing::generate().blind_index("phone", "123"),
            ring.blind_index("phone", "123")
        );
    }

    #[test]
    fn passwords_verify_and_unknown_users_never_do() {
        let h = hash_password("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", Some(&h)));
        assert!(!verify_password("wrong", Some(&h)));
        assert!(!verify_password("correct horse battery staple", None));
        assert!(!verify_password("x", Some("not a hash")));
    }
}
