//! A function's source folder: the files a build depends on (what is skipped, what is not),
//! their content hash, and copying them.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Folders and files that are never part of a function's code: other tools' build output,
/// caches, installed packages (the build installs them afresh) and version control.
pub const SKIPPED: [&str; 5] = [
    ".aws-sam",
    ".portico",
    "__pycache__",
    "node_modules",
    ".git",
];

/// What a walk leaves out besides [`SKIPPED`] and virtualenvs (folders holding a
/// `pyvenv.cfg`, whatever their name).
#[derive(Debug, Default)]
pub struct Skip {
    /// Names left out at the top of the folder only (`target` for a Rust crate).
    pub top: Vec<&'static str>,
    /// Folders left out wherever they are (the build cache, when it is inside the code).
    pub folders: Vec<PathBuf>,
}

/// One entry of a source folder.
#[derive(Debug)]
pub struct Entry {
    /// Its path relative to the folder, `/`-separated.
    pub rel: PathBuf,
    /// Where it is (a symbolic link followed).
    pub path: PathBuf,
    /// What it is.
    pub kind: Kind,
}

/// What an [`Entry`] is.
#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    /// A folder (listed so that empty ones are copied too).
    Folder,
    /// A file, and whether anyone may execute it.
    File {
        /// Any of the execute bits is set.
        executable: bool,
    },
    /// A symbolic link to nothing, kept as a link to where it points.
    Dangling(PathBuf),
}

/// Every entry of `root` that a build depends on, folders before what they hold, in name
/// order. Symbolic links are followed (a build is a copy of what they point to), except
/// links to nothing, which are kept, and loops, which are an error.
pub fn walk(root: &Path, skip: &Skip) -> io::Result<Vec<Entry>> {
    let folders: Vec<PathBuf> = skip
        .folders
        .iter()
        .filter_map(|f| f.canonicalize().ok())
        .collect();
    let mut entries = Vec::new();
    let mut ancestors = vec![root.canonicalize()?];
    walk_into(
        root,
        Path::new(""),
        skip,
        &folders,
        &mut ancestors,
        &mut entries,
    )?;
    Ok(entries)
}

fn walk_into(
    dir: &Path,
    rel: &Path,
    skip: &Skip,
    skipped_folders: &[PathBuf],
    ancestors: &mut Vec<PathBuf>,
    entries: &mut Vec<Entry>,
) -> io::Result<()> {
    let mut names: Vec<_> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<_>>()?;
    names.sort();
    for name in names {
        let text = name.to_string_lossy();
        if SKIPPED.contains(&text.as_ref())
            || (rel.as_os_str().is_empty() && skip.top.contains(&text.as_ref()))
        {
            continue;
        }
        let path = dir.join(&name);
        let rel = rel.join(&name);
        let meta = match fs::metadata(&path) {
            Ok(meta) => meta,
            Err(_) if fs::symlink_metadata(&path).is_ok_and(|m| m.is_symlink()) => {
                let target = fs::read_link(&path)?;
                entries.push(Entry {
                    rel,
                    path,
                    kind: Kind::Dangling(target),
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        if meta.is_dir() {
            if path.join("pyvenv.cfg").is_file() {
                continue;
            }
            let real = path.canonicalize()?;
            if skipped_folders.contains(&real) {
                continue;
            }
            if ancestors.contains(&real) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} is a symbolic link loop", path.display()),
                ));
            }
            entries.push(Entry {
                rel: rel.clone(),
                path: path.clone(),
                kind: Kind::Folder,
            });
            ancestors.push(real);
            walk_into(&path, &rel, skip, skipped_folders, ancestors, entries)?;
            ancestors.pop();
        } else if meta.is_file() {
            entries.push(Entry {
                rel,
                path,
                kind: Kind::File {
                    executable: meta.permissions().mode() & 0o111 != 0,
                },
            });
        }
        // Sockets, pipes and devices are not code.
    }
    Ok(())
}

/// The hex SHA-256 of `entries` (relative paths, kinds, file bytes) and of `facts` (the
/// method, the runtime, the tool's version): what names a build.
pub fn hash(entries: &[Entry], facts: &[&str]) -> io::Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(b"portico-build 1\0");
    for fact in facts {
        field(&mut hasher, fact.as_bytes());
    }
    for entry in entries {
        let tag: &[u8] = match entry.kind {
            Kind::Folder => b"d",
            Kind::File { executable: false } => b"f",
            Kind::File { executable: true } => b"x",
            Kind::Dangling(_) => b"l",
        };
        hasher.update(tag);
        field(&mut hasher, entry.rel.as_os_str().as_encoded_bytes());
        match &entry.kind {
            Kind::Folder => {}
            Kind::File { .. } => {
                let mut file = fs::File::open(&entry.path)?;
                let len = file.metadata()?.len();
                hasher.update(len.to_le_bytes());
                let copied = io::copy(&mut file, &mut hasher)?;
                if copied != len {
                    return Err(io::Error::other(format!(
                        "{} changed while it was read",
                        entry.path.display()
                    )));
                }
            }
            Kind::Dangling(target) => field(&mut hasher, target.as_os_str().as_encoded_bytes()),
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The hex SHA-256 of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A length-prefixed field, so that no two different inputs hash the same bytes.
fn field(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// Copies `entries` into `to` (which exists). Returns the path that failed with its error.
pub fn copy(entries: &[Entry], to: &Path) -> Result<(), (PathBuf, io::Error)> {
    for entry in entries {
        let dest = to.join(&entry.rel);
        let done = match &entry.kind {
            Kind::Folder => fs::create_dir_all(&dest),
            Kind::File { .. } => fs::copy(&entry.path, &dest).map(drop),
            Kind::Dangling(target) => std::os::unix::fs::symlink(target, &dest),
        };
        done.map_err(|e| (entry.path.clone(), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn hash_of(root: &Path, skip: &Skip) -> String {
        hash(
            &walk(root, skip).unwrap(),
            &["pip", "python3.12", "Python 3.12.1"],
        )
        .unwrap()
    }

    fn function() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "app.py", "def handler(e, c): return 1\n");
        write(dir.path(), "lib/util.py", "X = 1\n");
        write(dir.path(), "requirements.txt", "six==1.16.0\n");
        dir
    }

    #[test]
    fn the_hash_changes_when_a_file_changes() {
        let dir = function();
        let skip = Skip::default();
        let first = hash_of(dir.path(), &skip);
        assert_eq!(first.len(), 64);
        assert_eq!(hash_of(dir.path(), &skip), first);

        write(dir.path(), "lib/util.py", "X = 2\n");
        let second = hash_of(dir.path(), &skip);
        assert_ne!(second, first);

        write(dir.path(), "lib/more.py", "");
        let third = hash_of(dir.path(), &skip);
        assert_ne!(third, second);

        fs::rename(dir.path().join("lib/more.py"), dir.path().join("more.py")).unwrap();
        assert_ne!(
            hash_of(dir.path(), &skip),
            third,
            "a moved file is a change"
        );

        fs::create_dir(dir.path().join("empty")).unwrap();
        let with_folder = hash_of(dir.path(), &skip);
        assert_ne!(with_folder, third);

        let mut perms = fs::metadata(dir.path().join("app.py"))
            .unwrap()
            .permissions();
        perms.set_mode(0o755);
        fs::set_permissions(dir.path().join("app.py"), perms).unwrap();
        assert_ne!(hash_of(dir.path(), &skip), with_folder, "so does chmod +x");
    }

    #[test]
    fn the_hash_ignores_skipped_folders() {
        let dir = function();
        let skip = Skip::default();
        let first = hash_of(dir.path(), &skip);
        write(dir.path(), "__pycache__/app.cpython-312.pyc", "bytecode");
        write(
            dir.path(),
            "lib/__pycache__/util.cpython-312.pyc",
            "bytecode",
        );
        write(dir.path(), "node_modules/x/index.js", "");
        write(dir.path(), ".git/HEAD", "ref: refs/heads/main");
        write(dir.path(), ".aws-sam/build/template.yaml", "");
        write(dir.path(), ".portico/build/Hello-abc/app.py", "");
        write(dir.path(), "env/pyvenv.cfg", "home = /usr/bin");
        write(dir.path(), "env/lib/site.py", "");
        assert_eq!(hash_of(dir.path(), &skip), first);

        write(
            dir.path(),
            "__pycache__/app.cpython-312.pyc",
            "other bytecode",
        );
        write(dir.path(), "env/lib/site.py", "changed");
        assert_eq!(hash_of(dir.path(), &skip), first);
    }

    #[test]
    fn the_hash_covers_the_facts() {
        let dir = function();
        let entries = walk(dir.path(), &Skip::default()).unwrap();
        let pip = hash(&entries, &["pip", "python3.12", "Python 3.12.1"]).unwrap();
        let other_python = hash(&entries, &["pip", "python3.12", "Python 3.12.2"]).unwrap();
        let other_runtime = hash(&entries, &["pip", "python3.13", "Python 3.12.1"]).unwrap();
        let shifted = hash(&entries, &["pippython3.12", "", "Python 3.12.1"]).unwrap();
        assert_ne!(pip, other_python);
        assert_ne!(pip, other_runtime);
        assert_ne!(pip, shifted);
    }

    #[test]
    fn skip_lists_leave_out_top_names_and_folders() {
        let dir = function();
        let plain = hash_of(dir.path(), &Skip::default());
        write(dir.path(), "target/release/hello", "binary");
        write(dir.path(), "out/cache/x", "");
        let skip = Skip {
            top: vec!["target"],
            folders: vec![dir.path().join("out")],
        };
        assert_eq!(hash_of(dir.path(), &skip), plain);
        write(dir.path(), "lib/target/x.py", "");
        assert_ne!(hash_of(dir.path(), &skip), plain, "only the top `target`");
    }

    #[test]
    fn a_copy_has_what_the_walk_found() {
        let dir = function();
        write(dir.path(), "__pycache__/app.pyc", "");
        fs::create_dir(dir.path().join("empty")).unwrap();
        std::os::unix::fs::symlink("lib/util.py", dir.path().join("linked.py")).unwrap();
        std::os::unix::fs::symlink("nowhere", dir.path().join("dangling")).unwrap();
        let out = tempfile::tempdir().unwrap();
        let entries = walk(dir.path(), &Skip::default()).unwrap();
        copy(&entries, out.path()).unwrap();
        assert_eq!(
            fs::read_to_string(out.path().join("lib/util.py")).unwrap(),
            "X = 1\n"
        );
        assert!(out.path().join("empty").is_dir());
        assert!(!out.path().join("__pycache__").exists());
        let linked = out.path().join("linked.py");
        assert!(!fs::symlink_metadata(&linked).unwrap().is_symlink());
        assert_eq!(fs::read_to_string(linked).unwrap(), "X = 1\n");
        assert_eq!(
            fs::read_link(out.path().join("dangling")).unwrap(),
            Path::new("nowhere")
        );
        assert_eq!(
            hash_of(out.path(), &Skip::default()),
            hash_of(dir.path(), &Skip::default())
        );
    }

    #[test]
    fn a_symlink_loop_is_an_error() {
        let dir = function();
        std::os::unix::fs::symlink("..", dir.path().join("lib/up")).unwrap();
        let error = walk(dir.path(), &Skip::default()).unwrap_err();
        assert!(error.to_string().contains("loop"), "{error}");
    }
}
