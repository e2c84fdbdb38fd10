//! TLS: plain HTTP only on loopback; HTTPS with the self-signed certificate;
//! TLS 1.1 refused.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::{init, run, start, temp};

#[test]
fn plain_http_off_loopback_is_refused() {
    let dir = temp("plain");
    let data = dir.join("data");
    init(&data);
    let d = data.to_str().unwrap();
    let (ok, _, err) = run(&[
        "serve",
        "--data-dir",
        d,
        "--bind",
        "0.0.0.0:0",
        "--tls",
        "off",
    ]);
    assert!(
        !ok && err.contains("refusing to serve plain HTTP on 0.0.0.0:0"),
        "{err}"
    );
    let (ok, _, err) = run(&[
        "serve",
        "--data-dir",
        d,
        "--bind",
        "127.0.0.1:0",
        "--bind",
        "0.0.0.0:0",
        "--tls",
        "off",
    ]);
    assert!(!ok && err.contains("refusing to serve plain HTTP"), "{err}");

    std::fs::remove_dir_all(data.join("tls")).unwrap();
    let (ok, _, err) = run(&["serve", "--data-dir", d, "--bind", "0.0.0.0:0"]);
    assert!(
        !ok && err.contains("refusing to serve plain HTTP") && err.contains("kerato init"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A TLS 1.1 ClientHello (record and handshake version 0x0302, no
/// supported_versions extension, TLS 1.0/1.1 cipher suites).
fn tls11_client_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x02];
    body.extend([0x42; 32]); // random
    body.push(0); // no session id
    body.extend([0x00, 0x06, 0xc0, 0x13, 0xc0, 0x14, 0x00, 0x2f]); // ECDHE-RSA-AES128-SHA, ECDHE-RSA-AES256-SHA, AES128-SHA
    body.extend([0x01, 0x00]); // compression: null
    let mut hs = vec![0x01, 0x00, (body.len() >> 8) as u8, body.len() as u8];
    hs.extend(body);
    let mut record = vec![0x16, 0x03, 0x02, (hs.len() >> 8) as u8, hs.len() as u8];
    record.extend(hs);
    record
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_the_self_signed_certificate_and_no_tls_1_1() {
    let dir = temp("https");
    let data = dir.join("data");
    init(&data);
    let server = start(
        &[
            "serve",
            "--data-dir",
            data.to_str().unwrap(),
            "--bind",
            "0.0.0.0:0",
        ],
        &[],
        1,
    )
    .await;
    let url = &server.urls[0];
    assert!(url.starts_with("https://0.0.0.0:"), "{url}");
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();

    let pem = std::fs::read(data.join("tls/cert.pem")).unwrap();
    for max in [
        reqwest::tls::Version::TLS_1_2,
        reqwest::tls::Version::TLS_1_3,
    ] {
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
            .max_tls_version(max)
            .build()
            .unwrap();
        let resp = client
            .get(format!("https://localhost:{port}/readyz"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{max:?}");
        assert!(
            resp.headers()["strict-transport-security"]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
    }

    // A TLS 1.1 client gets an alert, never a ServerHello.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(&tls11_client_hello()).unwrap();
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(reply[0], 0x15, "expected an alert record, got {reply:?}");
    assert_eq!(reply[5], 2, "alert level must be fatal: {reply:?}");
    assert!(
        [70, 40].contains(&reply[6]),
        "protocol_version or handshake_failure expected: {reply:?}"
    );

    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}
