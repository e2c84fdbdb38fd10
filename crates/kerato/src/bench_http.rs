//! `kerato bench http`: the clinic server as its clients see it.
//!
//! The registry is seeded in a fresh installation (made by `kerato init`'s
//! own code), then the real `kerato serve` runs as a child process on
//! loopback and N keep-alive clients drive it, one kind of request at a
//! time: an unauthenticated route as the baseline, then authenticated
//! patient reads, searches, day listings, registrations and bookings, each
//! with its authorization and audit. The server's own figures come from
//! `/proc`: bytes it wrote to storage per operation and its peak resident
//! memory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use kerato_app::App;
use kerato_app::identity::UserInput;
use kerato_domain::ids::{LocationId, PatientId, ProviderId};
use kerato_domain::patients::{Patient, PatientInput};
use kerato_domain::tenancy::OrganisationKind;
use kerato_domain::time::{Clock, Timestamp};
use kerato_store::{OpenMode, Store};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::cli::DataArgs;
use crate::config::Config;
use crate::datadir;

/// Providers booked into; each works every weekday, 08:00 to 17:00.
const PROVIDERS: u32 = 20;

/// A surname of the synthetic registry: a base name and a suffix from the
/// row number, so prefixes fan out the way a real registry's do.
pub(crate) fn surname(i: u32) -> String {
    use kerato_app::import::synthetic::LAST_NAMES as LAST;
    format!(
        "{}{}",
        LAST[(i % 16) as usize],
        ["a", "e", "i", "o", "u", "son", "ez", "ski"][((i / 16) % 8) as usize]
    )
}

/// Fills the registry of `org` with `patients` synthetic charts in bulk,
/// with the same rows (the name index included) that registering them one
/// by one writes; returns their IDs in order.
pub(crate) async fn fill_registry(
    store: &Store,
    org: kerato_domain::ids::OrganisationId,
    patients: u32,
    now: Timestamp,
) -> Result<Vec<PatientId>> {
    use kerato_app::import::synthetic::FIRST_NAMES as FIRST;
    let today = now
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let mut ids = Vec::with_capacity(patients as usize);
    let batch = 10_000;
    let mut i = 0;
    while i < patients {
        let mut tx = store.write().await?;
        let count = batch.min(patients - i);
        // The numbers come from the practice's counter, as an import takes
        // them, so charts registered later do not collide with these.
        let mut mrns = kerato_store::patients::take_mrns(&mut tx, org, count as usize)
            .await?
            .into_iter();
        let mut rows = Vec::with_capacity(batch as usize);
        for _ in 0..count {
            let input = PatientInput {
                legal_first_name: FIRST[((i / 128) % 16) as usize].into(),
                legal_last_name: surname(i),
                date_of_birth: format!("{:04}-{:02}-{:02}", 1930 + i % 90, 1 + i % 12, 1 + i % 28),
                mobile_phone: Some(format!("217{:07}", 2_000_000 + i % 8_000_000)),
                ..PatientInput::default()
            };
            let fields = input.validate(today).map_err(|e| anyhow!("{e}"))?;
            let p = Patient {
                // A microsecond apart, as charts registered over time get
                // ever later UUIDv7s: the indexes keyed by chart ID then
                // grow at their end, as they do in a real registry.
                id: PatientId::new(now.plus_micros(i64::from(i)), rand::random()),
                organisation_id: org,
                mrn: mrns.next().context("an MRN for every chart")?,
                fields,
                merged_into: None,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            ids.push(p.id);
            rows.push(p);
            i += 1;
        }
        kerato_store::patients::insert_patients(&mut tx, &rows).await?;
        tx.commit().await?;
    }
    Ok(ids)
}

/// What the clients need to know about the seeded practice.
struct Practice {
    location: LocationId,
    providers: Vec<ProviderId>,
    visit_type: String,
    patients: Vec<PatientId>,
    /// The front desk's session cookie value.
    token: String,
}

/// Seeds an installation made by `kerato init`'s code: a location, a visit
/// type, providers with hours, a front-desk account with a session, and the
/// registry.
async fn seed(config: &Config, data: &DataArgs, patients: u32) -> Result<Practice> {
    let admin = datadir::FirstAdmin {
        email: "admin@bench.example".into(),
        name: "Bench Admin".into(),
    };
    datadir::init(
        config,
        data,
        "Bench practice",
        OrganisationKind::Practice,
        &admin,
        &[],
    )
    .await?;
    let store = datadir::open_store(config, data, OpenMode::Existing).await?;
    let clock = Arc::new(kerato_app::clock::SystemClock);
    let now = clock.now();
    let app = App::new(store.clone(), clock);
    let fail = |e: kerato_app::AppError| anyhow!("{e}");
    let admin_id = {
        let mut tx = store.read().await?;
        kerato_store::identity::find_user_by_email(&mut tx, &admin.email)
            .await?
            .context("the administrator kerato init made")?
            .0
            .id
    };
    let caller = app.unsafe_caller_for(admin_id).await.map_err(fail)?;
    let location = crate::bench::bench_location(&app, &caller).await?;
    let visit_type = app
        .create_appointment_type(&caller, "Visit", 30)
        .await
        .map_err(fail)?;
    let providers = crate::bench::bench_providers(&app, &caller, location.id, PROVIDERS).await?;
    let (desk, invitation) = app
        .invite_user(
            &caller,
            &UserInput {
                email: "desk@bench.example".into(),
                display_name: "Bench Desk".into(),
                role: "front_desk".into(),
                locations: vec![],
                all_locations: true,
            },
        )
        .await
        .map_err(fail)?;
    app.accept_invitation(&invitation, "seventeen quiet harbour lanterns")
        .await
        .map_err(fail)?;
    let started = Instant::now();
    let patients = fill_registry(&store, caller.actor.organisation_id, patients, now).await?;
    println!(
        "filled {} patients in {:.1} s",
        patients.len(),
        started.elapsed().as_secs_f64()
    );
    // The bench measures requests, not signing in: the session is made as
    // the test harnesses make theirs.
    let token = app.unsafe_session_for(desk.id).await.map_err(fail)?.0;
    store.settle().await?;
    store.close().await;
    Ok(Practice {
        location: location.id,
        providers,
        visit_type: visit_type.id.to_string(),
        patients,
        token,
    })
}

/// The running `kerato serve`, killed when dropped.
struct Server {
    /// Held so that dropping the server kills it (`kill_on_drop`).
    _child: tokio::process::Child,
    pid: u32,
    addr: String,
}

async fn start_server(config_file: &Path, data: &DataArgs) -> Result<Server> {
    let mut cmd = tokio::process::Command::new(std::env::current_exe()?);
    cmd.arg("--config")
        .arg(config_file)
        .arg("serve")
        .arg("--data-dir")
        .arg(&data.data_dir)
        .args(["--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = cmd.spawn().context("starting kerato serve")?;
    let pid = child.id().context("the server's process ID")?;
    let stdout = child.stdout.take().context("the server's output")?;
    let mut lines = BufReader::new(stdout).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            if let Some((_, url)) = line.split_once("listening on http://") {
                return Ok(url.trim().trim_end_matches('/').to_string());
            }
        }
        bail!("kerato serve stopped before it listened")
    })
    .await
    .context("kerato serve did not listen within a minute")??;
    // The rest of its output is drained, so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Server {
        _child: child,
        pid,
        addr,
    })
}

/// A figure of the server process from `/proc`.
fn proc_field(pid: u32, file: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim_start_matches(':').split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Bytes the server has caused to be written to storage so far.
fn written(pid: u32) -> u64 {
    proc_field(pid, "io", "write_bytes").unwrap_or(0)
}

/// One keep-alive HTTP/1.1 connection, as a load generator uses it: no
/// pooling, no redirects, the body read by its length.
struct Connection {
    stream: BufReader<TcpStream>,
    cookie: String,
}

impl Connection {
    async fn open(addr: &str, token: &str) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
            cookie: format!("kerato_session={token}"),
        })
    }

    async fn send(&mut self, req: &Request) -> Result<(u16, Vec<u8>)> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: bench\r\nAccept: application/json\r\n",
            req.method, req.path
        );
        if req.authenticated {
            head.push_str(&format!("Cookie: {}\r\n", self.cookie));
        }
        if let Some(body) = &req.body {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        let w = self.stream.get_mut();
        w.write_all(head.as_bytes()).await?;
        if let Some(body) = &req.body {
            w.write_all(body.as_bytes()).await?;
        }
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("not an HTTP status line: {line:?}"))?;
        let (mut length, mut chunked) = (0usize, false);
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let name = name.to_ascii_lowercase();
                if name == "content-length" {
                    length = value.trim().parse()?;
                } else if name == "transfer-encoding" && value.contains("chunked") {
                    chunked = true;
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.stream.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16)?;
                let start = body.len();
                body.resize(start + size, 0);
                self.stream.read_exact(&mut body[start..]).await?;
                line.clear();
                self.stream.read_line(&mut line).await?;
                if size == 0 {
                    break;
                }
            }
        } else {
            body.resize(length, 0);
            self.stream.read_exact(&mut body).await?;
        }
        Ok((status, body))
    }
}

/// One request a client sends.
struct Request {
    method: &'static str,
    path: String,
    body: Option<String>,
    authenticated: bool,
}

/// Requests of one kind, the `n`th of a run made by a function of `n`.
type Workload = Arc<dyn Fn(u64) -> Request + Send + Sync>;

/// What one kind of request came to.
struct Run {
    per_s: f64,
    bytes_per_op: f64,
}

/// Sends requests made by `make` from `clients` connections for `span`;
/// every answer must be `expect`.
async fn drive(
    server: &Server,
    token: &str,
    clients: u32,
    span: Duration,
    expect: u16,
    make: Workload,
) -> Result<Run> {
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let before = written(server.pid);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let mut conn = Connection::open(&server.addr, token).await?;
        let (next, stop, make) = (next.clone(), stop.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let req = make(next.fetch_add(1, Ordering::Relaxed));
                let (status, body) = conn.send(&req).await?;
                if status != expect {
                    bail!(
                        "{} {} answered {status}, not {expect}: {}",
                        req.method,
                        req.path,
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    );
                }
                done += 1;
            }
            Ok(done)
        }));
    }
    tokio::time::sleep(span).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    // Writes the kernel has not yet attributed land within a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let bytes = written(server.pid).saturating_sub(before);
    Ok(Run {
        per_s: total as f64 / secs,
        bytes_per_op: bytes as f64 / total.max(1) as f64,
    })
}

/// The local date and `HH:MM` of the `n`th bookable slot from `first`:
/// weekdays only, 30-minute slots from 08:00 to 17:00, across providers.
fn slot(first: jiff::civil::Date, n: u64, providers: usize) -> (usize, String, String) {
    let provider = (n % providers as u64) as usize;
    let k = n / providers as u64;
    let (day_index, slot) = (k / 18, k % 18);
    // Five weekdays a week: whole weeks, then days within the week.
    let mut day = first;
    let mut left = day_index;
    while left > 0 || day.weekday().to_monday_one_offset() > 5 {
        if day.weekday().to_monday_one_offset() <= 5 {
            left -= 1;
        }
        day = day.tomorrow().unwrap_or(day);
    }
    let minutes = 8 * 60 + slot * 30;
    (
        provider,
        day.to_string(),
        format!("{:02}:{:02}", minutes / 60, minutes % 60),
    )
}

fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

/// `kerato bench http`.
pub async fn run(patients: u32, clients: u32, seconds: u32, pg_url: Option<&str>) -> Result<()> {
    let dir: PathBuf = kerato_store::testing::temp_dir("bench-http");
    let data = DataArgs {
        data_dir: dir.clone(),
        database_url: None,
    };
    let mut config = Config::load(None, &data)?;
    let db_url = match pg_url {
        Some(url) => Some(kerato_store::testing::create_pg_database(url).await?),
        None => None,
    };
    config.database.url = db_url.clone().map(kerato_domain::secret::Secret::new);
    let outcome = async {
        println!(
            "kerato bench http on {}: {patients} patients, {clients} keep-alive clients, {seconds} s per kind",
            if db_url.is_some() {
                "postgres"
            } else {
                "sqlite"
            }
        );
        let practice = seed(&config, &data, patients).await?;
        // The server reads the same settings: the database URL, if any.
        let config_file = dir.join("bench.toml");
        let toml = match &db_url {
            Some(url) => format!("[database]\nurl = {url:?}\n"),
            None => String::new(),
        };
        std::fs::write(&config_file, toml)?;
        let server = start_server(&config_file, &data).await?;
        let rss_start = proc_field(server.pid, "status", "VmRSS").unwrap_or(0);
        let span = Duration::from_secs(u64::from(seconds));
        let token = practice.token.clone();
        let practice = Arc::new(practice);

        let baseline = drive(
            &server,
            &token,
            clients,
            span,
            200,
            Arc::new(|_| Request {
                method: "GET",
                path: "/healthz".into(),
                body: None,
                authenticated: false,
            }),
        )
        .await?;
        let p = practice.clone();
        let reads = drive(
            &server,
            &token,
            clients,
            span,
            200,
            Arc::new(move |n| Request {
                method: "GET",
                path: format!(
                    "/api/patients/{}",
                    p.patients[(n * 7919 % p.patients.len() as u64) as usize]
                ),
                body: None,
                authenticated: true,
            }),
        )
        .await?;
        let total = patients;
        let searches = drive(
            &server,
            &token,
            clients,
            span,
            200,
            Arc::new(move |n| {
                let name = surname((n as u32).wrapping_mul(2_654_435) % total.max(1));
                let len = 3 + (n % 4) as usize;
                let query: String = name.to_lowercase().chars().take(len).collect();
                Request {
                    method: "POST",
                    path: "/api/patients/search".into(),
                    body: Some(serde_json::json!({ "query": query }).to_string()),
                    authenticated: true,
                }
            }),
        )
        .await?;
        let today = kerato_app::clock::SystemClock
            .now()
            .to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        let first = today.checked_add(jiff::Span::new().days(2))?;
        let p = practice.clone();
        let days = drive(
            &server,
            &token,
            clients,
            span,
            200,
            Arc::new(move |n| Request {
                method: "GET",
                path: format!(
                    "/api/schedule?location_id={}&date={}",
                    p.location,
                    first.checked_add(jiff::Span::new().days((n % 30) as i64)).unwrap_or(first)
                ),
                body: None,
                authenticated: true,
            }),
        )
        .await?;
        let registrations = drive(
            &server,
            &token,
            clients,
            span,
            201,
            Arc::new(move |n| Request {
                method: "POST",
                path: "/api/patients".into(),
                body: Some(
                    serde_json::json!({
                        "patient": {
                            "legal_first_name": "Robin",
                            "legal_last_name": surname(n as u32 + 7),
                            "date_of_birth": format!("{:04}-{:02}-{:02}", 1940 + n % 60, 1 + n % 12, 1 + n % 28),
                            "mobile_phone": format!("312{:07}", 2_000_000 + n % 8_000_000),
                        },
                        "allow_duplicate": true,
                    })
                    .to_string(),
                ),
                authenticated: true,
            }),
        )
        .await?;
        let p = practice.clone();
        let bookings = drive(
            &server,
            &token,
            clients,
            span,
            201,
            Arc::new(move |n| {
                let (provider, date, time) = slot(first, n, p.providers.len());
                Request {
                    method: "POST",
                    path: "/api/appointments".into(),
                    body: Some(
                        serde_json::json!({
                            "provider_id": p.providers[provider].to_string(),
                            "patient_id": p.patients[(n * 104_729 % p.patients.len() as u64) as usize].to_string(),
                            "location_id": p.location.to_string(),
                            "appointment_type_id": p.visit_type,
                            "date": date,
                            "time": time,
                        })
                        .to_string(),
                    ),
                    authenticated: true,
                }
            }),
        )
        .await?;
        let peak = proc_field(server.pid, "status", "VmHWM").unwrap_or(0);
        drop(server);

        let share = 100.0 * reads.per_s / baseline.per_s.max(1.0);
        println!(
            "baseline        {:>8.0}/s   GET /healthz, unauthenticated",
            baseline.per_s
        );
        for (name, r) in [
            ("patient reads", &reads),
            ("searches", &searches),
            ("day listings", &days),
            ("registrations", &registrations),
            ("bookings", &bookings),
        ] {
            println!(
                "{name:<15} {:>8.0}/s   {} written per operation",
                r.per_s,
                kib(r.bytes_per_op)
            );
        }
        println!(
            "patient reads at {share:.0}% of the baseline   (target at 16 clients on SQLite: >= 40%)"
        );
        println!(
            "server memory   {:.1} MB resident at start, {:.1} MB at its peak   (target < 64 MB)",
            rss_start as f64 / 1024.0,
            peak as f64 / 1024.0
        );
        if db_url.is_some() {
            println!("                (bytes written are the server's own; PostgreSQL's are its own processes')");
        }
        Ok::<(), anyhow::Error>(())
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}
