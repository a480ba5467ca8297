//! Issue 8: completions, man page, --version (and, further down, progress and
//! the HTML report).

use crate::util::*;

#[test]
fn version_names_the_version_and_the_commit() {
    let r = run(["--version"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let want = format!("dnslens {} (", env!("CARGO_PKG_VERSION"));
    assert!(r.stdout.starts_with(&want), "{}", r.stdout);
    let commit = r
        .stdout
        .trim()
        .trim_start_matches(&want)
        .trim_end_matches(')');
    // Built from a git checkout (as here and in CI): the short hash of HEAD.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        Some(head) => assert_eq!(commit, head),
        None => assert_eq!(commit, "unknown"),
    }
}

#[test]
fn bash_completion_completes_options_and_subcommands() {
    let r = run(["completions", "bash"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let dir = TempDir::new("bash-completion");
    let script = dir.path("dnslens.bash");
    std::fs::write(&script, &r.stdout).unwrap();
    // Load the script into a real bash and ask it, as the shell would on <Tab>.
    let ask = |words: &str| {
        let cmd = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); \
             COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; _dnslens dnslens \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; echo \"${{COMPREPLY[*]}}\"",
            script.display()
        );
        let out = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &cmd])
            .output()
            .expect("run bash");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(ask("dnslens --form"), "--format");
    let formats = ask("dnslens --format ''");
    for f in ["table", "json", "ndjson"] {
        assert!(formats.split(' ').any(|w| w == f), "{formats}");
    }
    let subs = ask("dnslens comp");
    assert_eq!(subs, "completions");
}

#[test]
fn zsh_and_fish_scripts_are_generated() {
    let z = run(["completions", "zsh"]);
    assert_eq!(z.code, 0);
    assert!(z.stdout.starts_with("#compdef dnslens"));
    let f = run(["completions", "fish"]);
    assert_eq!(f.code, 0);
    assert!(f.stdout.contains("complete -c dnslens"));
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let r = run(["completions", "tcsh"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("tcsh"), "{}", r.stderr);
}

#[test]
fn man_page_renders_and_dir_writes_one_page_per_subcommand() {
    let r = run(["man"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains(".TH dnslens 1"), "{}", r.stdout);
    assert!(r.stdout.contains(".SH \"EXIT STATUS\""));
    // When man(1) is installed, check the page really renders.
    let dir = TempDir::new("man");
    let page = dir.path("dnslens.1");
    std::fs::write(&page, &r.stdout).unwrap();
    if let Ok(out) = std::process::Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .output()
    {
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("EXIT STATUS"), "{text}");
            assert!(text.contains("--format"), "{text}");
        }
    }
    let out = dir.path("pages");
    let r = run(["man".as_ref(), "--dir".as_ref(), out.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    for name in ["dnslens.1", "dnslens-messages.1", "dnslens-completions.1"] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
}

#[test]
fn closed_pipe_on_completions_is_quiet() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = bin()
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}
