//! Build script: records the git commit the binary was built from, for
//! `dnslens --version`. Outside a git checkout (a crate tarball, `cargo install`
//! from a registry) or without `git`, the commit is "unknown". No dependencies.

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DNSLENS_GIT_COMMIT");
    let commit = std::env::var("DNSLENS_GIT_COMMIT")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| git(&["rev-parse", "--short", "HEAD"]));
    // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it names
    // (a commit), and packed-refs. In a worktree HEAD lives in the worktree's
    // git dir and the branch in the common dir.
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        let dir = PathBuf::from(dir);
        let common = git(&["rev-parse", "--git-common-dir"]).map_or(dir.clone(), PathBuf::from);
        let mut watch = vec![dir.join("HEAD"), common.join("packed-refs")];
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watch.push(common.join(branch));
        }
        // A path that does not exist would make Cargo rerun this on every build.
        for path in watch.iter().filter(|p| p.exists()) {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!(
        "cargo:rustc-env=DNSLENS_GIT_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
}
