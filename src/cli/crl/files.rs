//! The files `crl sync` keeps in its folder: each written atomically (a temporary file in the same
//! folder, fsync, rename, fsync of the folder) and only when its bytes changed; then the reload
//! command, whose pending run is remembered in the folder so that the next sync runs it again.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

/// Marks a folder whose reload command has not succeeded since its files last changed.
pub const EXEC_PENDING: &str = ".exec-pending";
/// Longest a reload command may run before it is killed and counted as failed.
const EXEC_TIMEOUT: Duration = Duration::from_secs(120);

/// Whether `dir/name` is missing or holds other bytes than `bytes`.
pub fn differs(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<bool> {
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(old) => Ok(old != bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Replaces `dir/name` with `bytes` atomically: readers see the old file or the new one, never a
/// part, and the new one survives a crash once this returns.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    sync_dir(dir)
}

/// Makes a rename (or a removal) in `dir` durable.
fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync the folder {}", dir.display()))
}

/// Creates the folder if it is missing.
pub fn ensure_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir.to_path_buf())
}

/// Records, before a file changes, that the reload command must run (again): a sync that fails
/// half-way, or whose command fails, leaves the mark for the next one.
pub fn mark_reload(dir: &Path, command: &str) -> anyhow::Result<()> {
    let marker = dir.join(EXEC_PENDING);
    if marker.exists() {
        return Ok(());
    }
    std::fs::write(&marker, command.as_bytes())
        .with_context(|| format!("cannot write {}", marker.display()))?;
    sync_dir(dir)
}

/// Runs the reload command (`sh -c CMD`, its output going to ours) when [`mark_reload`] asked for
/// it, and clears the mark once it succeeded. Returns whether it ran.
pub async fn reload(dir: &Path, command: &str) -> anyhow::Result<bool> {
    let marker = dir.join(EXEC_PENDING);
    if !marker.exists() {
        return Ok(false);
    }
    let mut child = tokio::process::Command::new("sh")
        .args(["-c", command])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start `{command}`"))?;
    let status = match tokio::time::timeout(EXEC_TIMEOUT, child.wait()).await {
        Ok(status) => status.with_context(|| format!("waiting for `{command}`"))?,
        Err(_) => {
            let _ = child.kill().await;
            anyhow::bail!(
                "`{command}` did not finish in {} s; it runs again on the next sync",
                EXEC_TIMEOUT.as_secs()
            )
        }
    };
    if !status.success() {
        anyhow::bail!("`{command}` failed ({status}); it runs again on the next sync");
    }
    std::fs::remove_file(&marker).with_context(|| format!("cannot remove {}", marker.display()))?;
    sync_dir(dir)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn a_file_is_replaced_atomically_and_only_when_its_bytes_change() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert!(
            differs(d, "a.pem", b"one").unwrap(),
            "a missing file differs"
        );
        write_atomic(d, "a.pem", b"one").unwrap();
        assert!(!differs(d, "a.pem", b"one").unwrap());
        let inode = std::fs::metadata(d.join("a.pem")).unwrap().ino();
        assert!(differs(d, "a.pem", b"two").unwrap());
        write_atomic(d, "a.pem", b"two").unwrap();
        assert_eq!(std::fs::read(d.join("a.pem")).unwrap(), b"two");
        assert_ne!(
            std::fs::metadata(d.join("a.pem")).unwrap().ino(),
            inode,
            "replaced by a rename, not rewritten in place"
        );
        let names: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.pem"], "no temporary file is left behind");
    }

    #[tokio::test]
    async fn the_reload_command_runs_when_marked_until_it_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert!(
            !reload(d, "exit 1").await.unwrap(),
            "nothing marked: not run"
        );
        mark_reload(d, "exit 1").unwrap();
        assert!(reload(d, "exit 1").await.is_err());
        assert!(d.join(EXEC_PENDING).exists(), "a failure keeps the mark");
        assert!(reload(d, "true").await.unwrap());
        assert!(!d.join(EXEC_PENDING).exists());
        assert!(!reload(d, "true").await.unwrap());
    }
}
