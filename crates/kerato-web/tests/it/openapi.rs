//! The OpenAPI document: version 3.1, every API route described, and valid
//! according to the openapi-spec-validator Python package when available
//! (required under CI, where `cargo xtask ci` installs it).

use std::process::Command;

use serde_json::Value;

use crate::support::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_openapi_3_1_and_covers_every_api_route() {
    let t = spawn_app().await;
    let resp = t
        .client
        .get(t.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let doc: Value = resp.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    for spec in kerato_web::route_table() {
        let (method, path) = (spec.method, spec.path);
        if !path.starts_with("/api/") || path == "/api/openapi.json" {
            continue;
        }
        let op = &doc["paths"][path][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {path} is not documented");
        assert!(
            op["responses"].as_object().is_some_and(|r| r.len() >= 2),
            "{method} {path}: document the error responses"
        );
    }

    let mut ids = std::collections::BTreeSet::new();
    for (_, ops) in doc["paths"].as_object().unwrap() {
        for (_, op) in ops.as_object().unwrap() {
            if let Some(id) = op["operationId"].as_str() {
                assert!(ids.insert(id.to_string()), "operationId {id} is used twice");
            }
        }
    }

    let Some(python) = std::env::var_os("KERATO_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the OpenAPI validator: set KERATO_PYTHON"
        );
        eprintln!(
            "skipping openapi-spec-validator: KERATO_PYTHON is not set (cargo xtask ci sets it)"
        );
        return;
    };
    let dir = kerato_store::testing::temp_dir("openapi");
    let file = dir.join("openapi.json");
    std::fs::write(&file, kerato_web::openapi::document()).unwrap();
    let out = Command::new(python)
        .args(["-c", "import sys, json; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('valid')"])
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("valid"),
        "openapi-spec-validator: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
