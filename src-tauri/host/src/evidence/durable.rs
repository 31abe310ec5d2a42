//! Durability on disk that both the log and the installation key need: a new file's name
//! survives a crash only once the folder holding it is synced. A leaf, so [`super::log`] and
//! [`super::key`] both use it without depending on each other.

use std::io;
use std::path::Path;

/// Make a new file's name durable: fsync the folder that holds it.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
