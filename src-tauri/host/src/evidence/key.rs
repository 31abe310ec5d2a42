//! The installation's Ed25519 key: made on first use, kept with the app's data, readable by its
//! owner only. It signs the chain head at checkpoints; the private half never leaves this module
//! (no `Debug`, no log line, no entry holds it).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::EvidenceError;

/// What a checkpoint's signature covers: this prefix, the signed entry's seq and its hash.
pub fn checkpoint_message(seq: u64, hash: &str) -> String {
    format!("sidecar-evidence/1 checkpoint {seq} {hash}")
}

pub struct InstallationKey {
    signing: SigningKey,
    path: PathBuf,
}

impl std::fmt::Debug for InstallationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstallationKey").field("public", &self.public_hex()).field("path", &self.path).finish()
    }
}

impl InstallationKey {
    /// The key at `path`, made there (with its folder) if there is none. A key file that others
    /// may read, or that is not a key, is an error: it is never replaced.
    pub fn load_or_create(path: &Path) -> Result<Self, EvidenceError> {
        let error = |reason: String| EvidenceError::Key { path: path.to_path_buf(), reason };
        match read(path) {
            Ok(signing) => Ok(Self { signing, path: path.to_path_buf() }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => match create(path) {
                Ok(signing) => Ok(Self { signing, path: path.to_path_buf() }),
                // Another process made it first: use theirs.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read(path)
                    .map(|signing| Self { signing, path: path.to_path_buf() })
                    .map_err(|e| error(e.to_string())),
                Err(e) => Err(error(format!("cannot create it: {e}"))),
            },
            Err(e) => Err(error(e.to_string())),
        }
    }

    /// The public key, lowercase hex (32 bytes).
    pub fn public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().as_bytes())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lowercase hex of the signature of `message` (64 bytes).
    pub(crate) fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.signing.sign(message).to_bytes())
    }
}

/// Whether `signature` (hex) is `public_key`'s (hex) signature of `message`, checked strictly.
pub fn verify_signature(public_key: &str, message: &[u8], signature: &str) -> Result<(), String> {
    let key: [u8; 32] = decode(public_key).ok_or("the public key is not 32 bytes of hex")?;
    let signature: [u8; 64] = decode(signature).ok_or("the signature is not 64 bytes of hex")?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| "the public key is not a valid Ed25519 key")?;
    key.verify_strict(message, &Signature::from_bytes(&signature))
        .map_err(|_| "the signature does not match".to_owned())
}

fn decode<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None; // one spelling only, so that a verifier in any language agrees
    }
    hex::decode(text).ok()?.try_into().ok()
}

/// The key file: the 32-byte seed as lowercase hex and a newline.
fn read(path: &Path) -> io::Result<SigningKey> {
    let file = File::open(path)?;
    check_private(&file, path)?;
    let text = io::read_to_string(file)?;
    let seed: [u8; 32] = decode(text.trim_end_matches('\n'))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "it is not an evidence key (64 hex digits)"))?;
    Ok(SigningKey::from_bytes(&seed))
}

fn create(path: &Path) -> io::Result<SigningKey> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| io::Error::other(format!("no randomness from the system: {e}")))?;
    let signing = SigningKey::from_bytes(&seed);
    if let Some(parent) = path.parent() {
        private_dir(parent)?;
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    let mut text = [b'\n'; 65];
    let encoded = hex::encode_to_slice(seed, &mut text[..64]).map_err(io::Error::other);
    seed.fill(0);
    let written = encoded.and_then(|()| file.write_all(&text)).and_then(|()| file.sync_all());
    text.fill(0);
    written?;
    if let Some(parent) = path.parent() {
        super::durable::sync_dir(parent)?;
    }
    tracing::info!(path = %path.display(), public_key = hex::encode(signing.verifying_key().as_bytes()), "evidence signing key created");
    Ok(signing)
}

fn private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Owner-only: a key others can read could sign a forged log.
fn check_private(file: &File, path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "it may be read by other users (mode {:o}); run `chmod 600 {}` if nobody else has read it, else delete it (a new key is made)",
                    mode & 0o777,
                    path.display()
                ),
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sidecar-evidence-key-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_key_is_made_once_owner_only_and_signs_verifiably() {
        let path = scratch("made").join("keys/installation.key");
        let first = InstallationKey::load_or_create(&path).unwrap();
        let again = InstallationKey::load_or_create(&path).unwrap();
        assert_eq!(first.public_hex(), again.public_hex(), "the same key on the next start");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let message = checkpoint_message(7, &"ab".repeat(32));
        let signature = first.sign(message.as_bytes());
        assert_eq!(verify_signature(&first.public_hex(), message.as_bytes(), &signature), Ok(()));
        assert!(verify_signature(&first.public_hex(), b"another message", &signature).is_err());
        assert!(!format!("{first:?}").contains(&fs::read_to_string(&path).unwrap().trim().to_owned()));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_is_refused_not_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let path = scratch("open").join("installation.key");
        let key = InstallationKey::load_or_create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let refused = InstallationKey::load_or_create(&path).unwrap_err().to_string();
        assert!(refused.contains("chmod 600"), "{refused}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(InstallationKey::load_or_create(&path).unwrap().public_hex(), key.public_hex());
    }

    #[test]
    fn a_file_that_is_not_a_key_is_an_error() {
        let path = scratch("junk").join("installation.key");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "not a key\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert!(InstallationKey::load_or_create(&path).unwrap_err().to_string().contains("64 hex digits"));
        assert_eq!(fs::read_to_string(&path).unwrap(), "not a key\n", "never overwritten");
    }
}
