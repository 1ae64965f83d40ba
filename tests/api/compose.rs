//! docker-compose.yml and the Dockerfile, checked without a Docker engine: the Compose file against the
//! Compose Specification schema, then for what the deployment relies on.

use std::path::PathBuf;
use std::process::Command;

use crate::helpers::venv_python;

#[test]
fn the_compose_file_follows_the_compose_specification_and_runs_mtls_ca_on_postgres() {
    let Some(python) = venv_python("jsonschema") else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let wheels = root.join(".venv/wheels");
    let wheel = std::fs::read_dir(&wheels).ok().and_then(|mut d| {
        d.find_map(|e| {
            e.ok().map(|e| e.path()).filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("docker_compose-"))
            })
        })
    });
    let Some(wheel) = wheel else {
        assert!(
            std::env::var_os("CI").is_none(),
            "no docker-compose wheel in .venv/wheels"
        );
        crate::skips::skipped(
            "the Compose file test",
            ".venv/bin/pip download --no-deps docker-compose==1.29.2 -d .venv/wheels",
        );
        return;
    };
    let out = Command::new(python)
        .arg(root.join("tests/compose/check_compose.py"))
        .arg(wheel)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("passed, 0 failed"), "{stdout}");
}
