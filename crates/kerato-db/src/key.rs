//! The 256-bit database key.

use std::fmt;
use std::path::Path;

/// A raw 256-bit SQLCipher key. It is handed to SQLCipher as a raw key
/// (`x'…'`), which skips the passphrase KDF: the key is already random.
#[derive(Clone, PartialEq, Eq)]
pub struct DbKey([u8; 32]);

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the database key in {source_name} is not 64 hexadecimal characters (a 256-bit key)")]
    Malformed { source_name: String },
    #[error("cannot read the database key file {path}: {reason}")]
    Unreadable { path: String, reason: String },
}

impl DbKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 64 hex characters; surrounding whitespace (a trailing newline
    /// from `echo` or an editor) is ignored.
    pub fn from_hex(text: &str, source_name: &str) -> Result<Self, KeyError> {
        let malformed = || KeyError::Malformed {
            source_name: source_name.to_string(),
        };
        let bytes = hex::decode(text.trim()).map_err(|_| malformed())?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| malformed())?;
        Ok(Self(bytes))
    }

    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|e| KeyError::Unreadable {
            path: path.display().to_string(),
            reason: e.kind().to_string(),
        })?;
        Self::from_hex(&text, &path.display().to_string())
    }

    /// The raw key, for deriving the keys of other stores from it.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The value for `PRAGMA key`, quoted as SQLCipher expects a raw key.
    pub(crate) fn pragma_value(&self) -> String {
        format!("\"x'{}'\"", self.to_hex())
    }
}

impl fmt::Debug for DbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DbKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let key = DbKey::from_bytes([0xab; 32]);
        assert!(!format!("{key:?}").contains("ab"));
    }

    #[test]
    fn hex_must_be_exactly_256_bits() {
        let good = "a".repeat(64);
        assert!(DbKey::from_hex(&format!("{good}\n"), "env").is_ok());
        for bad in ["", "abc", &"a".repeat(62), &"g".repeat(64), &"a".repeat(66)] {
            assert!(DbKey::from_hex(bad, "env").is_err());
        }
    }
}
