//! The command line, run as a process.

use std::process::Command;

fn guichet(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(args)
        .env("GUICHET_DATA_DIR", std::env::temp_dir())
        .output()
        .unwrap()
}

#[test]
fn forms_check_accepts_the_shipped_definitions() {
    let dir = guichet_test_support::forms_dir();
    let out = guichet(&["forms", "check", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for f in ["apa.toml", "mdph.toml", "pch.toml", "amethyste.toml"] {
        assert!(stdout.contains(f), "{stdout}");
    }
}

#[test]
fn forms_check_rejects_a_broken_definition_naming_its_field() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/forms/tests/fixtures/broken/unknown_field.toml"
    );
    let out = guichet(&["forms", "check", fixture]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown_field.toml") && stderr.contains("champ"),
        "{stderr}"
    );
}

#[test]
fn forms_schema_prints_a_json_schema() {
    let out = guichet(&["forms", "schema"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["properties"]["steps"].is_object(), "{v}");
}

/// `guichet serve` logs each request with a request id (JSON logs here) and stops cleanly on SIGTERM.
#[test]
fn serve_logs_request_ids_and_stops_on_sigterm() {
    use std::io::Read;
    let data = tempfile::tempdir().unwrap();
    let port = guichet_test_support::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["serve"])
        .env("GUICHET_DATA_DIR", data.path())
        .env("GUICHET_BIND", format!("127.0.0.1:{port}"))
        .env("GUICHET_FORMS_DIR", guichet_test_support::forms_dir())
        .env("GUICHET_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env_remove("GUICHET_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let ok = loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::Write;
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut resp = String::new();
            let _ = s.read_to_string(&mut resp);
            break resp.starts_with("HTTP/1.1 200");
        }
        assert!(std::time::Instant::now() < deadline, "server did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(ok);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(25);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "server ignored SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(exit.success(), "{exit:?}");
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let logs = format!("{out}{err}");
    assert!(logs.contains("Guichet est prêt"), "{logs}");
    let request_line = logs
        .lines()
        .find(|l| l.contains("/healthz"))
        .unwrap_or_else(|| panic!("no request log: {logs}"));
    let v: serde_json::Value =
        serde_json::from_str(request_line).unwrap_or_else(|e| panic!("{e}: {request_line}"));
    assert!(request_line.contains("request_id"), "{v}");
}
