//! Test harness: every integration test runs against a fresh database, once on SQLite and once on
//! PostgreSQL. PostgreSQL comes from `SATIS_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); each test gets its own database, dropped afterwards.
//! Without a reachable server the PostgreSQL runs are reported as ignored, with a banner saying
//! so; with `CI=true` they fail instead.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use libtest_mimic::Failed;
use satis::platform::config::{Config, Sources};
use satis::platform::policy::Role;
use satis::platform::settings::Mode;
use satis::platform::web::AppState;
use sqlx::Connection;
use tower::ServiceExt;

pub type TestFn = fn(TestDb) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Registers async test functions: `tests![a, b]` gives `pub fn tests()`.
#[macro_export]
macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        pub fn tests() -> Vec<(&'static str, $crate::support::TestFn)> {
            vec![$((stringify!($name), |db| Box::pin($name(db)))),*]
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn pg_admin_url() -> String {
    std::env::var("SATIS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Whether PostgreSQL answers; `Err` carries the reason.
pub fn probe_postgres() -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let connect = sqlx::PgConnection::connect(&pg_admin_url());
        match tokio::time::timeout(std::time::Duration::from_secs(5), connect).await {
            Ok(Ok(c)) => {
                let _ = c.close().await;
                Ok(())
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out".to_owned()),
        }
    })
}

/// A fresh, empty database for one test.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    async fn create(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => TestDb {
                backend,
                url: format!("sqlite://{}", dir.path().join("satis.sqlite").display()),
                dir,
                pg_name: None,
            },
            Backend::Postgres => {
                let name = format!("satis_t_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(&pg_admin_url()).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                let _ = admin.close().await;
                let mut url = url::Url::parse(&pg_admin_url()).unwrap();
                url.set_path(&name);
                TestDb {
                    backend,
                    url: url.to_string(),
                    dir,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// Another empty database of the same backend (a restore's target): its URL. A PostgreSQL
    /// one is for the test to drop with [`drop_sibling`].
    pub async fn sibling(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!(
                "sqlite://{}",
                self.dir.path().join("restored.sqlite").display()
            ),
            Backend::Postgres => {
                let name = format!("satis_t_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(&pg_admin_url()).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                let _ = admin.close().await;
                let mut url = url::Url::parse(&pg_admin_url()).unwrap();
                url.set_path(&name);
                url.to_string()
            }
        }
    }

    /// The configuration a test server gets: this database, a temporary data directory.
    pub fn config(&self) -> Config {
        self.config_with(&[])
    }

    pub fn config_with(&self, extra: &[(&str, &str)]) -> Config {
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        env.insert("DATABASE_URL".into(), self.url.clone());
        env.insert(
            "SATIS_DATA_DIR".into(),
            self.dir.path().display().to_string(),
        );
        env.insert("SATIS_COOKIE_SECURE".into(), "false".into());
        for (k, v) in extra {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        Config::load(&Sources {
            file: None,
            implicit_file: &self.dir.path().join("absent.toml"),
            env: &env,
        })
        .unwrap()
        .config
    }

    /// Builds the application on this database (a production-mode instance).
    pub async fn app(self) -> TestApp {
        let config = self.config();
        self.app_with(config, Mode::Production).await
    }

    pub async fn app_with(self, config: Config, mode: Mode) -> TestApp {
        let (router, state) = satis::build_app(config, mode).await.unwrap();
        TestApp {
            router,
            state,
            cookies: Arc::new(Mutex::new(HashMap::new())),
            peer: Arc::new(Mutex::new(None)),
            db: self,
        }
    }
}

/// The application, called in-process, with a cookie jar like a browser's.
pub struct TestApp {
    pub router: Router,
    pub state: Arc<AppState>,
    pub cookies: Arc<Mutex<HashMap<String, String>>>,
    /// The network address requests come from (as a served instance sees its peer), if set.
    pub peer: Arc<Mutex<Option<std::net::SocketAddr>>>,
    /// Keeps the database (and its directory) alive as long as the app.
    #[allow(dead_code)]
    pub db: TestDb,
}

/// A response with its body read.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body:\n{}",
            &self.body.chars().take(3000).collect::<String>()
        );
        self
    }

    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        assert!(
            self.body.contains(needle),
            "body lacks {needle:?}:\n{}",
            &self.body.chars().take(3000).collect::<String>()
        );
        self
    }

    pub fn assert_not_contains(&self, needle: &str) -> &Self {
        assert!(!self.body.contains(needle), "body holds {needle:?}");
        self
    }
}

impl TestApp {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Body,
    ) -> TestResponse {
        let mut req = Request::builder().method(method).uri(path);
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req = req.header("host", "satis.test");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let jar: String = {
            let cookies = self.cookies.lock().unwrap();
            cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        if !jar.is_empty()
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("cookie"))
        {
            req = req.header(header::COOKIE, jar);
        }
        let mut req = req.body(body).unwrap();
        if let Some(peer) = *self.peer.lock().unwrap() {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        let response = self.router.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for v in headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            if let Some((k, val)) = pair.split_once('=') {
                let mut cookies = self.cookies.lock().unwrap();
                if val.is_empty() || v.contains("Max-Age=0") {
                    cookies.remove(k);
                } else {
                    cookies.insert(k.to_owned(), val.to_owned());
                }
            }
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Method::GET, path, &[], Body::empty()).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        self.request(Method::GET, path, headers, Body::empty())
            .await
    }

    /// The CSRF token the current session (or, before sign-in, this browser) must send.
    pub async fn csrf(&self) -> String {
        for page in ["/account", "/login/mfa", "/login"] {
            let r = self.get(page).await;
            if let Some(t) = find_value(&r.body, "name=\"_csrf\" value=\"") {
                return t;
            }
        }
        panic!("no page offered a CSRF token")
    }

    /// Submits a form as a browser on this site would: same-origin, with the CSRF token.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, &[("origin", "http://satis.test")])
            .await
    }

    /// Submits exactly these fields and headers (for tests of what a forger could send).
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        self.request(Method::POST, path, &all, Body::from(body))
            .await
    }

    /// Submits a form with a file (`multipart/form-data`) as a browser on this site would.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        (file_field, file_name, content_type, bytes): (&str, &str, &str, &[u8]),
    ) -> TestResponse {
        let token = self.csrf().await;
        let boundary = "----satis-test-boundary-7MA4YWxkTrZu0gW";
        let mut body: Vec<u8> = Vec::new();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        for (k, v) in all {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; \
                 filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let ct = format!("multipart/form-data; boundary={boundary}");
        let length = body.len().to_string();
        self.request(
            Method::POST,
            path,
            &[
                ("content-type", ct.as_str()),
                ("content-length", length.as_str()),
                ("origin", "http://satis.test"),
            ],
            Body::from(body),
        )
        .await
    }

    /// An API token acting as `user` in `org` with these scopes.
    pub async fn token(&self, user: &TestUser, org: i32, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        satis::identity::tokens::create(&self.state.db, org, user.id, "test", &scopes, 90)
            .await
            .unwrap()
            .1
    }

    /// Calls the JSON API with a token (no cookies: a program, not a browser).
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let auth = format!("Bearer {token}");
        let mut all: Vec<(&str, &str)> = vec![("cookie", "")];
        if !token.is_empty() {
            all.push(("authorization", auth.as_str()));
        }
        let payload = match body {
            Some(b) => {
                all.push(("content-type", "application/json"));
                Body::from(serde_json::to_vec(b).unwrap())
            }
            None => Body::empty(),
        };
        all.extend_from_slice(headers);
        self.request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            path,
            &all,
            payload,
        )
        .await
    }

    /// Forgets every cookie (a new browser).
    /// The id of an organisation of the seed network, by name.
    pub async fn seed_org(&self, name: &str) -> i32 {
        satis::identity::store::organisation_by_name(&self.state.db, name)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no organisation {name}"))
            .id
    }

    /// Registers an active regional hotline service for `org`: its hotline operators then
    /// read public reports (the default rule of `policy::may_read_public_reports`).
    pub async fn runs_regional_hotline(&self, org: i32) {
        satis::network::store::add_service(
            &self.state.db,
            org,
            "regional_hotline",
            &format!("Numero Verde {org}"),
            None,
            "24/7",
            "",
            false,
            None,
            &[],
        )
        .await
        .unwrap();
    }

    /// From now on, requests come from this address (e.g. `127.0.0.2`), with a fresh cookie jar.
    pub fn connect_from(&self, ip: &str) {
        *self.peer.lock().unwrap() = Some(std::net::SocketAddr::new(ip.parse().unwrap(), 40000));
        self.clear_cookies();
    }

    pub fn clear_cookies(&self) {
        self.cookies.lock().unwrap().clear();
    }

    /// Creates an organisation (idempotent by name) and returns its id.
    pub async fn organisation(&self, name: &str) -> i32 {
        use satis::identity::store;
        if let Some(o) = store::organisation_by_name(&self.state.db, name)
            .await
            .unwrap()
        {
            return o.id;
        }
        store::create_organisation(&self.state.db, name, "ngo", Some("FI"), false)
            .await
            .unwrap()
            .id
    }

    /// Creates a user with `role` in `org`, a known password and an enrolled second factor.
    pub async fn user(&self, username: &str, role: Role, org: i32) -> TestUser {
        use satis::identity::store;
        let hash = satis::platform::crypto::hash_password(PASSWORD).unwrap();
        let u = store::create_user(
            &self.state.db,
            &self.state.keys,
            username,
            &format!("{username} Test"),
            hash,
        )
        .await
        .unwrap();
        store::grant(&self.state.db, u.id, org, role, None)
            .await
            .unwrap();
        let secret = satis::identity::totp::new_secret();
        store::set_totp(&self.state.db, &self.state.keys, u.id, &secret, 0)
            .await
            .unwrap();
        TestUser {
            id: u.id,
            username: username.to_owned(),
            secret,
            next_step: Arc::new(Mutex::new(0)),
        }
    }

    /// Signs in through the real pages: password, then a fresh TOTP code.
    pub async fn sign_in(&self, user: &TestUser) {
        self.clear_cookies();
        let r = self
            .post_form(
                "/login",
                &[("username", &user.username), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status.as_u16(), 303, "password step: {}", r.body);
        assert!(
            r.header("location").starts_with("/login/mfa"),
            "{}",
            r.header("location")
        );
        let r = self
            .post_form("/login/mfa", &[("code", &user.code())])
            .await;
        assert_eq!(r.status.as_u16(), 303, "code step: {}", r.body);
    }

    /// Puts a full session for `user` into the cookie jar directly (no password hashing):
    /// for tests that need many sessions, such as the access matrix.
    pub async fn session_for(&self, user_id: i32, org: Option<i32>) {
        self.clear_cookies();
        let token = satis::identity::store::create_session(&self.state.db, user_id, org, true)
            .await
            .unwrap();
        self.cookies
            .lock()
            .unwrap()
            .insert("satis_session".to_owned(), token);
    }
}

pub const PASSWORD: &str = "una frase segreta abbastanza lunga";

/// A test account with its authenticator.
#[derive(Clone)]
pub struct TestUser {
    pub id: i32,
    pub username: String,
    pub secret: Vec<u8>,
    next_step: Arc<Mutex<i64>>,
}

impl TestUser {
    /// A code for a time step not used before (the server refuses replays), within the
    /// allowed drift of one step ahead.
    pub fn code(&self) -> String {
        // Late in a step, wait for the next: a code one step behind, made now, could be two
        // steps old by the time a busy server checks it.
        let now = chrono::Utc::now().timestamp();
        if now % 30 >= 25 {
            std::thread::sleep(std::time::Duration::from_secs((30 - now % 30) as u64));
        }
        let now_step = chrono::Utc::now().timestamp() / 30;
        let mut next = self.next_step.lock().unwrap();
        let step = (*next).max(now_step - 1);
        assert!(
            step <= now_step + 1,
            "more than three sign-ins in 30 s for one user"
        );
        *next = step + 1;
        satis::identity::totp::code_at(&self.secret, (step * 30) as u64)
    }
}

/// The text after `marker` up to the next double quote or `<`.
pub fn find_value(body: &str, marker: &str) -> Option<String> {
    let start = body.find(marker)? + marker.len();
    let rest = &body[start..];
    let end = rest.find(['"', '<'])?;
    Some(rest[..end].to_owned())
}

/// Drops a database made by [`TestDb::sibling`] (nothing for SQLite: its file goes with the
/// test's directory).
pub async fn drop_sibling(url: &str) {
    if url.starts_with("sqlite:") {
        return;
    }
    let name = url::Url::parse(url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_owned();
    if let Ok(mut admin) = sqlx::PgConnection::connect(&pg_admin_url()).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await;
        let _ = admin.close().await;
    }
}

fn drop_pg(name: &str) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(async {
        if let Ok(mut admin) = sqlx::PgConnection::connect(&pg_admin_url()).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
            let _ = admin.close().await;
        }
    });
}

/// Runs one test on one backend, always dropping its PostgreSQL database afterwards.
pub fn run(backend: Backend, f: TestFn) -> Result<(), Failed> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failed::from(e.to_string()))?;
    let db = rt.block_on(TestDb::create(backend));
    let pg_name = db.pg_name.clone();
    let outcome = catch_unwind(AssertUnwindSafe(|| rt.block_on(f(db))));
    drop(rt);
    if let Some(name) = pg_name {
        drop_pg(&name);
    }
    outcome.map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "test panicked".to_owned());
        Failed::from(msg)
    })
}

/// The one number a query gives.
pub async fn scalar(app: &TestApp, sql: &str) -> i64 {
    scalar_on(&app.state.db, sql).await
}

/// The one number a query gives, on any connection (a database at an older migration).
pub async fn scalar_on(db: &impl sea_orm::ConnectionTrait, sql: &str) -> i64 {
    use sea_orm::Statement;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0)
        .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
        .unwrap()
}

/// The number of rows in a table.
pub async fn count_rows(app: &TestApp, table: &str) -> i64 {
    scalar(app, &format!("SELECT COUNT(*) FROM {table}")).await
}

/// Posts `fields` to `path` while writing `action`'s audit entry fails: the answer is the
/// error page with a reference id, never the fault itself. The fault is removed afterwards.
pub async fn post_with_audit_fault(
    app: &TestApp,
    action: &str,
    path: &str,
    fields: &[(&str, &str)],
) {
    fail_audit_of(app, action).await;
    let r = app.post_form(path, fields).await;
    fail_audit_of(app, "nothing").await;
    assert_eq!(r.status.as_u16(), 500, "{action}: {}", r.status);
    assert!(r.body.contains("Codice di riferimento"), "{action}");
    assert!(
        !r.body.contains("injected"),
        "{action}: the fault is not shown"
    );
}

/// Fault injection: from now on, appending an audit entry with this `action` fails inside the
/// database (a trigger), as a full disk or a lost connection would at that moment.
pub async fn fail_audit_of(app: &TestApp, action: &str) {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let statements: Vec<String> = match backend {
        sea_orm::DatabaseBackend::Sqlite => vec![
            "DROP TRIGGER IF EXISTS satis_test_fail_audit".into(),
            format!(
                "CREATE TRIGGER satis_test_fail_audit BEFORE INSERT ON audit_event \
                 WHEN NEW.action = '{action}' BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            ),
        ],
        _ => vec![
            "CREATE OR REPLACE FUNCTION satis_test_fail_audit() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql"
                .into(),
            "DROP TRIGGER IF EXISTS satis_test_fail_audit ON audit_event".into(),
            format!(
                "CREATE TRIGGER satis_test_fail_audit BEFORE INSERT ON audit_event FOR EACH ROW \
                 WHEN (NEW.action = '{action}') EXECUTE FUNCTION satis_test_fail_audit()"
            ),
        ],
    };
    // On one connection, in one transaction: the pool's connections then agree on the schema.
    let txn = sea_orm::TransactionTrait::begin(db).await.unwrap();
    for sql in statements {
        txn.execute_raw(Statement::from_string(backend, sql))
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
}

/// A person to take into care in a test, with what the test cares about and the rest left
/// plain: `Person::named("…").born(1999).from("NG")`. The one way tests open a case by hand
/// (through the cases store, as the pages' operation does), instead of each writing the
/// person and the identity out in full.
#[derive(Clone, Debug)]
pub struct Person {
    pub names: String,
    pub gender: &'static str,
    pub birth_year: Option<i32>,
    pub birth_year_estimated: bool,
    pub nationalities: Vec<String>,
    pub languages: Vec<String>,
    pub vulnerabilities: String,
    pub phone: String,
    /// The day of emersion; today in Italy unless said.
    pub opened_on: Option<chrono::NaiveDate>,
}

#[allow(dead_code)]
impl Person {
    pub fn named(names: &str) -> Person {
        Person {
            names: names.to_owned(),
            gender: "female",
            birth_year: None,
            birth_year_estimated: false,
            nationalities: Vec::new(),
            languages: Vec::new(),
            vulnerabilities: String::new(),
            phone: String::new(),
            opened_on: None,
        }
    }
    pub fn gender(self, gender: &'static str) -> Person {
        Person { gender, ..self }
    }
    pub fn born(self, year: i32) -> Person {
        Person {
            birth_year: Some(year),
            ..self
        }
    }
    pub fn born_about(self, year: i32) -> Person {
        Person {
            birth_year: Some(year),
            birth_year_estimated: true,
            ..self
        }
    }
    pub fn from(self, country: &str) -> Person {
        let mut nationalities = self.nationalities.clone();
        nationalities.push(country.to_owned());
        Person {
            nationalities,
            ..self
        }
    }
    pub fn speaking(self, language: &str) -> Person {
        let mut languages = self.languages.clone();
        languages.push(language.to_owned());
        Person { languages, ..self }
    }
    pub fn vulnerable(self, what: &str) -> Person {
        Person {
            vulnerabilities: what.to_owned(),
            ..self
        }
    }
    pub fn phone(self, phone: &str) -> Person {
        Person {
            phone: phone.to_owned(),
            ..self
        }
    }
    pub fn opened_on(self, day: chrono::NaiveDate) -> Person {
        Person {
            opened_on: Some(day),
            ..self
        }
    }
}

impl TestApp {
    /// Takes `person` into care by `org`, recorded by `by`: the person and the case.
    pub async fn open_case(
        &self,
        org: i32,
        by: i32,
        person: Person,
    ) -> (
        satis::cases::entities::person::Model,
        satis::cases::entities::case::Model,
    ) {
        let p = satis::cases::store::NewPerson {
            gender: person.gender.into(),
            birth_year: person.birth_year,
            birth_year_estimated: person.birth_year_estimated,
            presumed_minor: false,
            nationalities: person.nationalities,
            languages: person.languages,
            vulnerabilities: person.vulnerabilities,
        };
        let identity = satis::cases::store::Identity {
            names: person.names,
            phone: person.phone,
            ..Default::default()
        };
        satis::cases::store::open_case(
            &self.state.db,
            &self.state.keys,
            &p,
            &identity,
            org,
            by,
            person
                .opened_on
                .unwrap_or_else(satis::platform::time::rome_today),
        )
        .await
        .unwrap()
    }
}
