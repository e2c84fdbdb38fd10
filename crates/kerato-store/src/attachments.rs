//! Encrypted attachments (clinical photos, documents) as files beside the
//! database, as the design brief asks: AEAD (AES-256-GCM), one random key
//! per file, that key wrapped by a master key derived from the database
//! key. A file's name is its attachment ID, and the ID is the additional
//! authenticated data of both layers, so a file copied over another's
//! name does not open. Nothing in a file is readable without the key: the
//! image bytes are never on disk in clear.
//!
//! File layout (version 1): `KRA1`, the wrapping nonce (12 bytes), the
//! wrapped file key (32 + 16-byte tag), the content nonce (12 bytes), and
//! the ciphertext with its tag.

use std::path::{Path, PathBuf};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;

use kerato_db::DbKey;

const MAGIC: &[u8; 4] = b"KRA1";
const KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = MAGIC.len() + NONCE_LEN + KEY_LEN + TAG_LEN + NONCE_LEN;

#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    #[error("the attachment ID {0:?} is not valid")]
    BadId(String),
    #[error("attachment {0} is missing from the data directory")]
    Missing(String),
    #[error(
        "attachment {0} cannot be opened: it was altered, or the key is not the one it was stored with"
    )]
    Unreadable(String),
    #[error("the attachments folder cannot be written: {0}")]
    Io(String),
}

/// Where attachments live, and the key that wraps theirs.
pub struct AttachmentStore {
    dir: PathBuf,
    master: LessSafeKey,
}

impl std::fmt::Debug for AttachmentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// The output length HKDF is asked for: one AES-256 key.
struct KeyLen;

impl hkdf::KeyType for KeyLen {
    fn len(&self) -> usize {
        KEY_LEN
    }
}

fn aes_key(bytes: &[u8]) -> Result<LessSafeKey, AttachmentError> {
    UnboundKey::new(&AES_256_GCM, bytes)
        .map(LessSafeKey::new)
        .map_err(|_| AttachmentError::Io("an encryption key could not be made".into()))
}

/// Names are what the app makes: a UUID, perhaps with a suffix such as
/// "-thumb" for a derived file. Only letters, digits and hyphens pass, so
/// nothing can climb out of the folder or name a hidden file.
fn check_id(id: &str) -> Result<(), AttachmentError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AttachmentError::BadId(id.chars().take(70).collect()))
    }
}

impl AttachmentStore {
    /// Attachments under `dir`, wrapped by a key derived (HKDF-SHA256) from
    /// the database key, so one key file opens both.
    pub fn new(dir: &Path, key: &DbKey) -> Result<Self, AttachmentError> {
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"kerato attachments");
        let prk = salt.extract(key.as_bytes());
        let mut master = [0u8; KEY_LEN];
        prk.expand(&[b"attachment key wrapping v1"], KeyLen)
            .and_then(|okm| okm.fill(&mut master))
            .map_err(|_| AttachmentError::Io("the attachment key could not be derived".into()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            master: aes_key(&master)?,
        })
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.kra"))
    }

    /// Encrypts `bytes` and writes them as attachment `id` (written to a
    /// temporary name and renamed, so a crash never leaves half a file).
    pub fn put(&self, id: &str, bytes: &[u8]) -> Result<(), AttachmentError> {
        check_id(id)?;
        let io = |e: std::io::Error| AttachmentError::Io(e.kind().to_string());
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let file_key: [u8; KEY_LEN] = rand::random();
        let (wrap_nonce, data_nonce): ([u8; NONCE_LEN], [u8; NONCE_LEN]) =
            (rand::random(), rand::random());
        let mut wrapped = file_key.to_vec();
        self.master
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(wrap_nonce),
                Aad::from(id.as_bytes()),
                &mut wrapped,
            )
            .map_err(|_| AttachmentError::Io("the file key could not be wrapped".into()))?;
        let mut data = bytes.to_vec();
        aes_key(&file_key)?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(data_nonce),
                Aad::from(id.as_bytes()),
                &mut data,
            )
            .map_err(|_| AttachmentError::Io("the attachment could not be encrypted".into()))?;
        let mut out = Vec::with_capacity(HEADER_LEN + data.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&wrap_nonce);
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&data_nonce);
        out.extend_from_slice(&data);
        let tmp = self.dir.join(format!(".{id}.tmp"));
        std::fs::write(&tmp, &out).map_err(io)?;
        std::fs::rename(&tmp, self.path(id)).map_err(io)?;
        Ok(())
    }

    /// Reads and decrypts attachment `id`.
    pub fn get(&self, id: &str) -> Result<Vec<u8>, AttachmentError> {
        check_id(id)?;
        let bytes = std::fs::read(self.path(id)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => AttachmentError::Missing(id.to_string()),
            other => AttachmentError::Io(other.to_string()),
        })?;
        let unreadable = || AttachmentError::Unreadable(id.to_string());
        if bytes.len() < HEADER_LEN + TAG_LEN || &bytes[..4] != MAGIC {
            return Err(unreadable());
        }
        let nonce = |at: usize| -> Result<Nonce, AttachmentError> {
            Nonce::try_assume_unique_for_key(&bytes[at..at + NONCE_LEN]).map_err(|_| unreadable())
        };
        let wrap_nonce = nonce(4)?;
        let mut wrapped = bytes[4 + NONCE_LEN..4 + NONCE_LEN + KEY_LEN + TAG_LEN].to_vec();
        let file_key = self
            .master
            .open_in_place(wrap_nonce, Aad::from(id.as_bytes()), &mut wrapped)
            .map_err(|_| unreadable())?
            .to_vec();
        let data_nonce = nonce(HEADER_LEN - NONCE_LEN)?;
        let mut data = bytes[HEADER_LEN..].to_vec();
        let plain = aes_key(&file_key)?
            .open_in_place(data_nonce, Aad::from(id.as_bytes()), &mut data)
            .map_err(|_| unreadable())?;
        Ok(plain.to_vec())
    }

    /// Deletes attachment `id`; deleting one that is gone is not an error.
    pub fn delete(&self, id: &str) -> Result<(), AttachmentError> {
        check_id(id)?;
        match std::fs::remove_file(self.path(id)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(AttachmentError::Io(e.kind().to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path, key: u8) -> AttachmentStore {
        AttachmentStore::new(dir, &DbKey::from_bytes([key; 32])).unwrap()
    }

    /// A photo-like payload with a recognisable run of bytes.
    fn photo() -> Vec<u8> {
        let mut p = b"\xFF\xD8\xFF\xE0JFIF lesion pixels ".to_vec();
        p.extend((0..4096u32).map(|i| (i * 31 % 251) as u8));
        p
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_stored_photo_is_not_on_disk_in_clear_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 7);
        let id = "0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6f";
        s.put(id, &photo()).unwrap();
        let raw = std::fs::read(dir.path().join(format!("{id}.kra"))).unwrap();
        assert!(!contains(&raw, b"lesion pixels"));
        for window in photo().chunks(16) {
            assert!(!contains(&raw, window), "a run of the photo is in clear");
        }
        assert_eq!(s.get(id).unwrap(), photo());
        // Two files of the same photo share nothing: one key per file.
        s.put("0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e70", &photo())
            .unwrap();
        let other =
            std::fs::read(dir.path().join("0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e70.kra")).unwrap();
        assert_ne!(raw[HEADER_LEN..], other[HEADER_LEN..]);
    }

    #[test]
    fn a_changed_byte_a_wrong_key_or_a_swapped_file_do_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path(), 7);
        let (a, b) = (
            "aaaaaaaa-0000-7000-8000-000000000001",
            "aaaaaaaa-0000-7000-8000-000000000002",
        );
        s.put(a, &photo()).unwrap();
        s.put(b, b"another").unwrap();
        assert!(matches!(
            store(dir.path(), 8).get(a),
            Err(AttachmentError::Unreadable(_))
        ));
        let path_a = dir.path().join(format!("{a}.kra"));
        let path_b = dir.path().join(format!("{b}.kra"));
        std::fs::copy(&path_b, &path_a).unwrap();
        assert!(
            matches!(s.get(a), Err(AttachmentError::Unreadable(_))),
            "b's file under a's name"
        );
        s.put(a, &photo()).unwrap();
        let mut raw = std::fs::read(&path_a).unwrap();
        let last = raw.len() - 20;
        raw[last] ^= 1;
        std::fs::write(&path_a, &raw).unwrap();
        assert!(matches!(s.get(a), Err(AttachmentError::Unreadable(_))));
        assert!(matches!(
            s.get("../../etc/passwd"),
            Err(AttachmentError::BadId(_))
        ));
        s.delete(b).unwrap();
        assert!(matches!(s.get(b), Err(AttachmentError::Missing(_))));
    }
}
