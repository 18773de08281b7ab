//! Configuration: built-in defaults, then an optional `satis.toml`, then `SATIS_*` environment
//! variables (and `DATABASE_URL`). Secrets may also be given as `*_FILE` variables naming a file.
//!
//! Every error names the offending key, so that `satis` can exit with code 2 and a message an
//! operator can act on. Unknown keys in the file or unknown `SATIS_*` variables produce warnings.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::platform::i18n::Lang;

/// The fully resolved configuration of one `satis` process.
#[derive(Clone)]
pub struct Config {
    /// Address the web server listens on.
    pub listen: SocketAddr,
    /// Address of the separate listener serving `/metrics` (Prometheus text format), if any:
    /// never on the public address.
    pub metrics_listen: Option<SocketAddr>,
    /// Directory holding the SQLite file, the key file and other local state.
    pub data_dir: PathBuf,
    /// The key file holding the field-encryption keys (default: `<data_dir>/satis.keys`).
    pub keys_file: PathBuf,
    /// Database connection string (`sqlite://…` or `postgres://…`).
    pub database_url: String,
    /// Whether `database_url` came from the defaults (a SQLite file in the data directory).
    pub database_url_is_default: bool,
    /// Public hotline numbers shown on every page.
    pub hotline: Hotline,
    /// Locale used when neither the user, a cookie nor the browser chooses one.
    pub default_locale: Lang,
    /// Mark cookies `Secure`. Only plain-http local use may turn this off.
    pub cookie_secure: bool,
    /// The public address of this SATIS (`https://…`, no trailing slash), for the absolute
    /// links of the news feed, the sitemap and social cards. `None`: taken from each request's
    /// `Host` (set it in production).
    pub public_url: Option<String>,
    /// A session unused for this long ends.
    pub session_idle: std::time::Duration,
    /// A session ends this long after sign-in, however busy.
    pub session_absolute: std::time::Duration,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Requests served at once; beyond this the server answers 503 with `Retry-After` at once
    /// instead of queueing without bound (docs/BENCHMARKS.md, load test).
    pub max_in_flight: usize,
    /// Days after a case closes before the person's identity data and notes are erased.
    pub retention_days: u64,
    /// Days after triage before a public report's text and messages are erased.
    pub report_retention_days: u64,
    /// The Italian hour (0–23) the daily retention run starts at: a quiet hour, never at
    /// start-up (default 3, i.e. 03:00 in Rome).
    pub retention_hour: u32,
    /// Log format: human-readable text or JSON lines.
    pub log_format: LogFormat,
    /// Street units and drop-in desks.
    pub outreach: Outreach,
    /// Referrals: the package of data each kind of counterpart receives.
    pub referrals: Referrals,
    /// Reverse proxies in front of SATIS (exact addresses): from these, the client's address
    /// is read from `X-Forwarded-For` (for throttling only; it is never stored or logged).
    /// Empty by default: the peer address is the client's.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The organisations (by name) whose hotline operators read public reports. Empty (the
    /// default): the organisations that run an active regional hotline service in the
    /// registry. See `policy::may_read_public_reports`.
    pub reports_readers: Vec<String>,
    /// Open data: whether the public page serves the files, under which licence.
    pub open_data: OpenData,
    /// Who answers for the service, named on the privacy notice, the legal notes and the
    /// accessibility statement linked from every page's footer.
    pub legal: Legal,
    /// Backups the server takes itself, daily (`[backup]`; off unless scheduled).
    pub backup: BackupSchedule,
    /// When what waits becomes due on a desk (`[reminders]`).
    pub reminders: Reminders,
    /// Outgoing mail for notifications (`[mail]`); `None`: no mail is sent.
    pub mail: Option<Mail>,
}

/// The SMTP server notifications go through (`[mail]`, docs/REMINDERS.md).
#[derive(Clone)]
pub struct Mail {
    /// `smtps://user:password@host:465` (TLS from the start), `smtp://host:587?tls=required`
    /// (STARTTLS, required), or `smtp://127.0.0.1:25` for a relay on the same machine only.
    pub smtp_url: String,
    /// The sender, e.g. `SATIS <satis@regione.toscana.it>`.
    pub from: String,
    /// The address people open SATIS at, for the link in each message.
    pub site_url: String,
    /// The Italian hour (0–23) the daily digest is sent at (default 7).
    pub digest_hour: u32,
}

impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("smtp_url", &redact_url(&self.smtp_url))
            .field("from", &self.from)
            .field("site_url", &self.site_url)
            .field("digest_hour", &self.digest_hour)
            .finish()
    }
}

/// The thresholds of the deadline engine (`[reminders]`, see `reminders::rules`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reminders {
    /// A permit shows as expiring this many days before it expires (default 60)…
    pub permit_days: i64,
    /// …and as urgent from this many days (default 30).
    pub permit_urgent_days: i64,
    /// A consent shows as expiring this many days before (default 30).
    pub consent_days: i64,
    /// A referral proposed to the organisation and not decided after this many working days
    /// (Monday to Friday; default 5).
    pub referral_working_days: i64,
    /// A project waiting for the lead entity's decision after this many days (default 20).
    pub project_days: i64,
    /// An open case without activity for this many days (default 60).
    pub inactive_days: i64,
    /// A mediator request nobody has taken shows this many hours before it is needed
    /// (default 24).
    pub mediator_hours: i64,
    /// A caller promised a call back shows this many hours after the call (default 24).
    pub call_back_hours: i64,
}

impl Default for Reminders {
    fn default() -> Self {
        Reminders {
            permit_days: 60,
            permit_urgent_days: 30,
            consent_days: 30,
            referral_working_days: 5,
            project_days: 20,
            inactive_days: 60,
            mediator_hours: 24,
            call_back_hours: 24,
        }
    }
}

/// Daily backups taken by the server (`[backup]`): at `schedule` (Italian time), into `dir`,
/// encrypted to `recipients`, the newest `keep` kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupSchedule {
    /// The Italian time of day (hour, minute) to take it; `None`: not scheduled (the system's
    /// timer may run `satis backup` instead).
    pub at: Option<(u32, u32)>,
    /// Where the backups are written (default `<data_dir>/backups`).
    pub dir: PathBuf,
    /// How many scheduled backups are kept (the oldest are deleted; default 14).
    pub keep: usize,
    /// The age public keys (`age1…`) every backup is encrypted to.
    pub recipients: Vec<String>,
}

/// The facts the footer's pages state (`[legal]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Legal {
    /// The data controller (titolare del trattamento; default `Regione Toscana`).
    pub controller: String,
    /// Where the data protection officer is reached (an e-mail address or a web page).
    pub dpo_contact: Option<String>,
    /// Where anyone reports an accessibility problem (the statement's feedback link).
    pub accessibility_contact: Option<String>,
    /// The day the accessibility statement was last reviewed (YYYY-MM-DD).
    pub accessibility_reviewed: Option<chrono::NaiveDate>,
}

pub const DEFAULT_CONTROLLER: &str = "Regione Toscana";

/// Open data (docs/INDICATORS.md): published on `/dati-aperti` only when the Region decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenData {
    /// Serve the k-anonymous microdata and the aggregate tables to anyone (default: no; the
    /// page then says they are not published yet).
    pub public: bool,
    /// The licence stated on the page and to cite (default `CC BY 4.0`).
    pub licence: String,
    /// Who publishes them, as to be cited (default `Regione Toscana`).
    pub publisher: String,
}

pub const DEFAULT_OPEN_DATA_LICENCE: &str = "CC BY 4.0";
pub const DEFAULT_OPEN_DATA_PUBLISHER: &str = "Regione Toscana";

/// Referrals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Referrals {
    /// Counterpart kind (`network_org`, `national_hotline`, `other_region`) → the package
    /// fields it receives (a subset of [`REFERRAL_PACKAGE_FIELDS`]).
    pub packages: std::collections::BTreeMap<String, Vec<String>>,
}

/// Street units and drop-in desks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outreach {
    /// The materials a street unit hands out and counts, as codes (`a-z`, `0-9`, `_`).
    pub materials: Vec<String>,
}

/// Public hotline numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hotline {
    /// Regional anti-trafficking hotline (Numero Verde Regionale).
    pub regional: String,
    /// National anti-trafficking hotline (Numero Verde Nazionale).
    pub national: String,
    /// The regional hotline's ordinary (not free) number, for callers whose mobile operator
    /// cannot reach free numbers (Lyca Mobile and other operators migrants often use). Empty:
    /// not shown.
    pub ordinary: String,
    /// The steps of the regional emergency procedure, as codes (`a-z`, `0-9`, `_`).
    pub emergency_steps: Vec<String>,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("metrics_listen", &self.metrics_listen)
            .field("data_dir", &self.data_dir)
            .field("keys_file", &self.keys_file)
            .field("database_url", &redact_url(&self.database_url))
            .field("hotline", &self.hotline)
            .field("default_locale", &self.default_locale)
            .field("cookie_secure", &self.cookie_secure)
            .field("public_url", &self.public_url)
            .field("session_idle", &self.session_idle)
            .field("session_absolute", &self.session_absolute)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_in_flight", &self.max_in_flight)
            .field("retention_days", &self.retention_days)
            .field("report_retention_days", &self.report_retention_days)
            .field("retention_hour", &self.retention_hour)
            .field("log_format", &self.log_format)
            .field("outreach", &self.outreach)
            .field("referrals", &self.referrals)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("reports_readers", &self.reports_readers)
            .field("open_data", &self.open_data)
            .field("legal", &self.legal)
            .field("backup", &self.backup)
            .field("reminders", &self.reminders)
            .field("mail", &self.mail)
            .finish()
    }
}

/// A configuration error. The message always names the key, variable or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {path}: {message}")]
    File { path: String, message: String },
    #[error("configuration key `{key}`: {message}")]
    Key { key: String, message: String },
}

/// Default values, and the TOML file's shape (every field optional).
#[derive(Debug, Default, Deserialize)]
struct FileConfig {
    listen: Option<String>,
    metrics_listen: Option<String>,
    data_dir: Option<PathBuf>,
    keys_file: Option<PathBuf>,
    database_url: Option<String>,
    default_locale: Option<String>,
    cookie_secure: Option<bool>,
    public_url: Option<String>,
    max_body_bytes: Option<u64>,
    max_in_flight: Option<u64>,
    session_idle_minutes: Option<u64>,
    session_absolute_hours: Option<u64>,
    retention_days: Option<u64>,
    report_retention_days: Option<u64>,
    retention_hour: Option<u64>,
    log_format: Option<String>,
    hotline: Option<FileHotline>,
    outreach: Option<FileOutreach>,
    referrals: Option<FileReferrals>,
    trusted_proxies: Option<Vec<String>>,
    reports: Option<FileReports>,
    open_data: Option<FileOpenData>,
    legal: Option<FileLegal>,
    backup: Option<FileBackup>,
    reminders: Option<FileReminders>,
    mail: Option<FileMail>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMail {
    smtp_url: Option<String>,
    from: Option<String>,
    site_url: Option<String>,
    digest_hour: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileReminders {
    permit_days: Option<u64>,
    permit_urgent_days: Option<u64>,
    consent_days: Option<u64>,
    referral_working_days: Option<u64>,
    project_days: Option<u64>,
    inactive_days: Option<u64>,
    mediator_hours: Option<u64>,
    call_back_hours: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct FileBackup {
    schedule: Option<String>,
    dir: Option<PathBuf>,
    keep: Option<u64>,
    recipients: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
struct FileLegal {
    controller: Option<String>,
    dpo_contact: Option<String>,
    accessibility_contact: Option<String>,
    accessibility_reviewed: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct FileOpenData {
    public: Option<bool>,
    licence: Option<String>,
    publisher: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct FileReports {
    readers: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
struct FileReferrals {
    packages: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Default, Deserialize)]
struct FileOutreach {
    materials: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
struct FileHotline {
    regional: Option<String>,
    national: Option<String>,
    ordinary: Option<String>,
    emergency_steps: Option<Vec<String>>,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "data";
pub const DEFAULT_REGIONAL_HOTLINE: &str = "800 600 500";
pub const DEFAULT_NATIONAL_HOTLINE: &str = "800 290 290";
/// The seed's "da LYCA MOBILE" number of the regional hotline.
pub const DEFAULT_ORDINARY_HOTLINE: &str = "055 536 56 12";
pub const DEFAULT_MAX_BODY_BYTES: u64 = 1024 * 1024;
pub const DEFAULT_MAX_IN_FLIGHT: u64 = 256;

/// Environment variables the configuration understands (besides their `_FILE` forms).
const ENV_KEYS: &[&str] = &[
    "SATIS_CONFIG",
    "SATIS_LISTEN",
    "SATIS_METRICS_LISTEN",
    "SATIS_DATA_DIR",
    "SATIS_KEYS_FILE",
    "SATIS_DATABASE_URL",
    "SATIS_PUBLIC_URL",
    "SATIS_DEFAULT_LOCALE",
    "SATIS_COOKIE_SECURE",
    "SATIS_MAX_BODY_BYTES",
    "SATIS_MAX_IN_FLIGHT",
    "SATIS_SESSION_IDLE_MINUTES",
    "SATIS_SESSION_ABSOLUTE_HOURS",
    "SATIS_RETENTION_DAYS",
    "SATIS_RETENTION_HOUR",
    "SATIS_REPORT_RETENTION_DAYS",
    "SATIS_LOG_FORMAT",
    "SATIS_LOG",
    "SATIS_HOTLINE_REGIONAL",
    "SATIS_HOTLINE_NATIONAL",
    "SATIS_HOTLINE_ORDINARY",
    "SATIS_EMERGENCY_STEPS",
    "SATIS_OUTREACH_MATERIALS",
    "SATIS_TRUSTED_PROXIES",
    "SATIS_REPORTS_READERS",
    "SATIS_OPEN_DATA_PUBLIC",
    "SATIS_BACKUP_SCHEDULE",
    "SATIS_BACKUP_DIR",
    "SATIS_BACKUP_KEEP",
    "SATIS_BACKUP_RECIPIENTS",
    "SATIS_REMINDERS_PERMIT_DAYS",
    "SATIS_REMINDERS_PERMIT_URGENT_DAYS",
    "SATIS_REMINDERS_CONSENT_DAYS",
    "SATIS_REMINDERS_REFERRAL_WORKING_DAYS",
    "SATIS_REMINDERS_PROJECT_DAYS",
    "SATIS_REMINDERS_INACTIVE_DAYS",
    "SATIS_REMINDERS_MEDIATOR_HOURS",
    "SATIS_REMINDERS_CALL_BACK_HOURS",
    "SATIS_MAIL_SMTP_URL",
    "SATIS_MAIL_FROM",
    "SATIS_MAIL_SITE_URL",
    "SATIS_MAIL_DIGEST_HOUR",
    // The passphrase of `satis keys export` / `import` (read by those commands only).
    "SATIS_KEYS_PASSPHRASE",
    // Used by the test suite and the browser tests, not by the server.
    "SATIS_TEST_DATABASE_URL",
    "SATIS_BIN",
];

/// Variables that may carry a secret and so may also be given as `NAME_FILE`.
const SECRET_KEYS: &[&str] = &["DATABASE_URL", "SATIS_DATABASE_URL", "SATIS_MAIL_SMTP_URL"];

/// Where the configuration comes from: the environment is passed in so tests need no globals.
pub struct Sources<'a> {
    /// An explicitly requested file (`--config` or `SATIS_CONFIG`): it must exist.
    pub file: Option<&'a Path>,
    /// The file looked for when none is requested: used only if it exists.
    pub implicit_file: &'a Path,
    /// The process environment (or a test's).
    pub env: &'a BTreeMap<String, String>,
}

/// A configuration together with the warnings met while building it.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads the configuration from the real process environment.
    pub fn from_process(explicit_file: Option<&Path>) -> Result<Loaded, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let from_env = env.get("SATIS_CONFIG").map(PathBuf::from);
        let file = explicit_file.map(Path::to_path_buf).or(from_env);
        Self::load(&Sources {
            file: file.as_deref(),
            implicit_file: Path::new("satis.toml"),
            env: &env,
        })
    }

    /// Builds the configuration from defaults, the file and the environment, in that order.
    pub fn load(sources: &Sources<'_>) -> Result<Loaded, ConfigError> {
        let mut warnings = Vec::new();
        let file = read_file(sources, &mut warnings)?;
        let env = sources.env;

        let listen_raw = env_value(env, "SATIS_LISTEN")?
            .map(|v| ("SATIS_LISTEN", v))
            .or(file.listen.clone().map(|v| ("listen", v)))
            .unwrap_or(("listen", DEFAULT_LISTEN.to_owned()));
        let listen = listen_raw
            .1
            .trim()
            .parse::<SocketAddr>()
            .map_err(|_| ConfigError::Key {
                key: listen_raw.0.to_owned(),
                message: format!(
                    "`{}` is not an address of the form 127.0.0.1:8080",
                    listen_raw.1
                ),
            })?;

        let metrics_raw = env_value(env, "SATIS_METRICS_LISTEN")?
            .map(|v| ("SATIS_METRICS_LISTEN", v))
            .or(file.metrics_listen.clone().map(|v| ("metrics_listen", v)))
            .filter(|(_, v)| !v.trim().is_empty());
        let metrics_listen = match metrics_raw {
            None => None,
            Some((key, raw)) => {
                Some(
                    raw.trim()
                        .parse::<SocketAddr>()
                        .map_err(|_| ConfigError::Key {
                            key: key.to_owned(),
                            message: format!(
                                "`{raw}` is not an address of the form 127.0.0.1:9100"
                            ),
                        })?,
                )
            }
        };
        if metrics_listen == Some(listen) {
            return Err(ConfigError::Key {
                key: "metrics_listen".to_owned(),
                message: "the metrics need their own address, not the web server's".to_owned(),
            });
        }

        let data_dir = env_value(env, "SATIS_DATA_DIR")?
            .map(PathBuf::from)
            .or(file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        if data_dir.as_os_str().is_empty() {
            return Err(ConfigError::Key {
                key: "data_dir".into(),
                message: "must not be empty".into(),
            });
        }

        let keys_file = env_value(env, "SATIS_KEYS_FILE")?
            .map(PathBuf::from)
            .or(file.keys_file.clone())
            .unwrap_or_else(|| data_dir.join("satis.keys"));

        let explicit_url = match env_value(env, "DATABASE_URL")? {
            Some(v) => Some(("DATABASE_URL", v)),
            None => env_value(env, "SATIS_DATABASE_URL")?
                .map(|v| ("SATIS_DATABASE_URL", v))
                .or(file.database_url.clone().map(|v| ("database_url", v))),
        };
        let database_url_is_default = explicit_url.is_none();
        let database_url = match explicit_url {
            Some((key, url)) => {
                check_database_url(&url).map_err(|message| ConfigError::Key {
                    key: key.to_owned(),
                    message,
                })?;
                url
            }
            None => default_database_url(&data_dir),
        };

        let locale_raw = env_value(env, "SATIS_DEFAULT_LOCALE")?
            .map(|v| ("SATIS_DEFAULT_LOCALE", v))
            .or(file.default_locale.clone().map(|v| ("default_locale", v)));
        let default_locale = match locale_raw {
            None => Lang::It,
            Some((key, v)) => Lang::from_code(v.trim()).ok_or_else(|| ConfigError::Key {
                key: key.to_owned(),
                message: format!("`{v}` is not a supported locale (use one of: it, en)"),
            })?,
        };

        let cookie_secure = match env_value(env, "SATIS_COOKIE_SECURE")? {
            Some(v) => parse_bool("SATIS_COOKIE_SECURE", &v)?,
            None => file.cookie_secure.unwrap_or(true),
        };
        let public_url = match env_value(env, "SATIS_PUBLIC_URL")?
            .map(|v| ("SATIS_PUBLIC_URL", v))
            .or(file.public_url.clone().map(|v| ("public_url", v)))
        {
            None => None,
            Some((key, v)) => {
                Some(
                    check_public_url(v.trim()).map_err(|message| ConfigError::Key {
                        key: key.to_owned(),
                        message,
                    })?,
                )
            }
        };

        let max_body = match env_value(env, "SATIS_MAX_BODY_BYTES")? {
            Some(v) => v.trim().parse::<u64>().map_err(|_| ConfigError::Key {
                key: "SATIS_MAX_BODY_BYTES".into(),
                message: format!("`{v}` is not a whole number of bytes"),
            })?,
            None => file.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES),
        };
        let max_body_bytes = usize::try_from(max_body)
            .ok()
            .filter(|n| (1024..=64 * 1024 * 1024).contains(n))
            .ok_or_else(|| ConfigError::Key {
                key: "max_body_bytes".into(),
                message: "must be between 1024 and 67108864 bytes".into(),
            })?;

        let idle = number(
            env,
            "SATIS_SESSION_IDLE_MINUTES",
            "session_idle_minutes",
            file.session_idle_minutes,
            30,
            1..=24 * 60,
        )?;
        let absolute = number(
            env,
            "SATIS_SESSION_ABSOLUTE_HOURS",
            "session_absolute_hours",
            file.session_absolute_hours,
            12,
            1..=24 * 7,
        )?;

        let max_in_flight = number(
            env,
            "SATIS_MAX_IN_FLIGHT",
            "max_in_flight",
            file.max_in_flight,
            DEFAULT_MAX_IN_FLIGHT,
            1..=100_000,
        )? as usize;

        let retention_days = number(
            env,
            "SATIS_RETENTION_DAYS",
            "retention_days",
            file.retention_days,
            730,
            30..=36_500,
        )?;

        let report_retention_days = number(
            env,
            "SATIS_REPORT_RETENTION_DAYS",
            "report_retention_days",
            file.report_retention_days,
            90,
            1..=3650,
        )?;
        let retention_hour = u32::try_from(number(
            env,
            "SATIS_RETENTION_HOUR",
            "retention_hour",
            file.retention_hour,
            3,
            0..=23,
        )?)
        .unwrap_or(3);

        let log_raw = env_value(env, "SATIS_LOG_FORMAT")?
            .map(|v| ("SATIS_LOG_FORMAT", v))
            .or(file.log_format.clone().map(|v| ("log_format", v)));
        let log_format = match log_raw.as_ref().map(|(k, v)| (*k, v.trim())) {
            None | Some((_, "text")) => LogFormat::Text,
            Some((_, "json")) => LogFormat::Json,
            Some((key, other)) => {
                return Err(ConfigError::Key {
                    key: key.to_owned(),
                    message: format!("`{other}` is not a log format (use text or json)"),
                });
            }
        };

        let file_hotline = file.hotline.unwrap_or_default();
        let hotline = Hotline {
            regional: env_value(env, "SATIS_HOTLINE_REGIONAL")?
                .or(file_hotline.regional)
                .unwrap_or_else(|| DEFAULT_REGIONAL_HOTLINE.to_owned()),
            national: env_value(env, "SATIS_HOTLINE_NATIONAL")?
                .or(file_hotline.national)
                .unwrap_or_else(|| DEFAULT_NATIONAL_HOTLINE.to_owned()),
            ordinary: env_value(env, "SATIS_HOTLINE_ORDINARY")?
                .or(file_hotline.ordinary)
                .unwrap_or_else(|| DEFAULT_ORDINARY_HOTLINE.to_owned())
                .trim()
                .to_owned(),
            emergency_steps: code_list(
                ("SATIS_EMERGENCY_STEPS", "hotline.emergency_steps"),
                env_value(env, "SATIS_EMERGENCY_STEPS")?,
                file_hotline.emergency_steps,
                DEFAULT_EMERGENCY_STEPS,
            )?,
        };
        let referrals = Referrals {
            packages: packages(file.referrals.and_then(|r| r.packages))?,
        };
        let outreach = Outreach {
            materials: code_list(
                ("SATIS_OUTREACH_MATERIALS", "outreach.materials"),
                env_value(env, "SATIS_OUTREACH_MATERIALS")?,
                file.outreach.and_then(|o| o.materials),
                DEFAULT_OUTREACH_MATERIALS,
            )?,
        };
        let trusted_proxies = {
            let (key, list) = match env_value(env, "SATIS_TRUSTED_PROXIES")? {
                Some(v) => (
                    "SATIS_TRUSTED_PROXIES",
                    v.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect(),
                ),
                None => ("trusted_proxies", file.trusted_proxies.unwrap_or_default()),
            };
            list.iter()
                .map(|s| {
                    s.parse::<std::net::IpAddr>().map_err(|_| ConfigError::Key {
                        key: key.to_owned(),
                        message: format!("`{s}` is not an IP address"),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        let reports_readers: Vec<String> = match env_value(env, "SATIS_REPORTS_READERS")? {
            Some(v) => v
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            None => file
                .reports
                .and_then(|r| r.readers)
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        };
        let file_open_data = file.open_data.unwrap_or_default();
        let open_data = OpenData {
            public: match env_value(env, "SATIS_OPEN_DATA_PUBLIC")? {
                Some(v) => parse_bool("SATIS_OPEN_DATA_PUBLIC", &v)?,
                None => file_open_data.public.unwrap_or(false),
            },
            licence: file_open_data
                .licence
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| DEFAULT_OPEN_DATA_LICENCE.to_owned()),
            publisher: file_open_data
                .publisher
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| DEFAULT_OPEN_DATA_PUBLISHER.to_owned()),
        };
        let file_legal = file.legal.unwrap_or_default();
        let text = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let legal = Legal {
            controller: text(file_legal.controller)
                .unwrap_or_else(|| DEFAULT_CONTROLLER.to_owned()),
            dpo_contact: text(file_legal.dpo_contact),
            accessibility_contact: text(file_legal.accessibility_contact),
            accessibility_reviewed: match text(file_legal.accessibility_reviewed) {
                None => None,
                Some(d) => Some(chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(
                    |_| ConfigError::Key {
                        key: "legal.accessibility_reviewed".into(),
                        message: format!("`{d}` is not a date YYYY-MM-DD"),
                    },
                )?),
            },
        };
        let mail = {
            let f = file.mail.unwrap_or_default();
            let url = env_value(env, "SATIS_MAIL_SMTP_URL")?
                .map(|v| ("SATIS_MAIL_SMTP_URL", v))
                .or(f.smtp_url.map(|v| ("mail.smtp_url", v)))
                .filter(|(_, v)| !v.trim().is_empty());
            match url {
                None => None,
                Some((key, url)) => {
                    crate::platform::mail::check_url(&url).map_err(|message| ConfigError::Key {
                        key: key.to_owned(),
                        message,
                    })?;
                    let (from_key, from) = env_value(env, "SATIS_MAIL_FROM")?
                        .map(|v| ("SATIS_MAIL_FROM", v))
                        .or(f.from.map(|v| ("mail.from", v)))
                        .unwrap_or(("mail.from", String::new()));
                    crate::platform::mail::check_from(&from).map_err(|message| {
                        ConfigError::Key {
                            key: from_key.to_owned(),
                            message,
                        }
                    })?;
                    let (site_key, site_url) = env_value(env, "SATIS_MAIL_SITE_URL")?
                        .map(|v| ("SATIS_MAIL_SITE_URL", v))
                        .or(f.site_url.map(|v| ("mail.site_url", v)))
                        .unwrap_or(("mail.site_url", String::new()));
                    match url::Url::parse(site_url.trim()) {
                        Ok(u) if matches!(u.scheme(), "https" | "http") => {}
                        _ => {
                            return Err(ConfigError::Key {
                                key: site_key.to_owned(),
                                message: format!(
                                    "`{site_url}` is not the https:// address people open SATIS at \
                                     (needed for the link in each message)"
                                ),
                            });
                        }
                    }
                    let hour = number(
                        env,
                        "SATIS_MAIL_DIGEST_HOUR",
                        "mail.digest_hour",
                        f.digest_hour,
                        7,
                        0..=23,
                    )?;
                    Some(Mail {
                        smtp_url: url,
                        from: from.trim().to_owned(),
                        site_url: site_url.trim().trim_end_matches('/').to_owned(),
                        digest_hour: u32::try_from(hour).unwrap_or(7),
                    })
                }
            }
        };
        let file_backup = file.backup.unwrap_or_default();
        let backup = {
            let schedule = env_value(env, "SATIS_BACKUP_SCHEDULE")?
                .map(|v| ("SATIS_BACKUP_SCHEDULE", v))
                .or(file_backup.schedule.map(|v| ("backup.schedule", v)));
            let at = match schedule {
                None => None,
                Some((_, v)) if v.trim().is_empty() => None,
                Some((key, v)) => Some(backup_time(&v).ok_or_else(|| ConfigError::Key {
                    key: key.to_owned(),
                    message: format!("`{v}` is not a time of day HH:MM (Italian time)"),
                })?),
            };
            let recipients: Vec<String> = match env_value(env, "SATIS_BACKUP_RECIPIENTS")? {
                Some(v) => v.split(',').map(|s| s.trim().to_owned()).collect(),
                None => file_backup.recipients.unwrap_or_default(),
            }
            .into_iter()
            .filter(|r| !r.trim().is_empty())
            .collect();
            if at.is_some() {
                let key = "backup.recipients";
                if recipients.is_empty() {
                    return Err(ConfigError::Key {
                        key: key.to_owned(),
                        message: "a scheduled backup needs at least one age recipient (age1…): \
                                  a backup is never written in clear"
                            .to_owned(),
                    });
                }
                crate::platform::backup::recipients(&recipients).map_err(|e| ConfigError::Key {
                    key: key.to_owned(),
                    message: e.to_string(),
                })?;
            }
            BackupSchedule {
                at,
                dir: env_value(env, "SATIS_BACKUP_DIR")?
                    .map(PathBuf::from)
                    .or(file_backup.dir)
                    .unwrap_or_else(|| data_dir.join("backups")),
                keep: number(
                    env,
                    "SATIS_BACKUP_KEEP",
                    "backup.keep",
                    file_backup.keep,
                    14,
                    1..=3650,
                )? as usize,
                recipients,
            }
        };
        let reminders = {
            let f = file.reminders.unwrap_or_default();
            let d = Reminders::default();
            let n = |env_key: &str, key: &str, v: Option<u64>, default: i64, max: u64| {
                number(env, env_key, key, v, default.unsigned_abs(), 1..=max)
                    .map(|x| i64::try_from(x).unwrap_or(i64::MAX))
            };
            let r = Reminders {
                permit_days: n(
                    "SATIS_REMINDERS_PERMIT_DAYS",
                    "reminders.permit_days",
                    f.permit_days,
                    d.permit_days,
                    365,
                )?,
                permit_urgent_days: n(
                    "SATIS_REMINDERS_PERMIT_URGENT_DAYS",
                    "reminders.permit_urgent_days",
                    f.permit_urgent_days,
                    d.permit_urgent_days,
                    365,
                )?,
                consent_days: n(
                    "SATIS_REMINDERS_CONSENT_DAYS",
                    "reminders.consent_days",
                    f.consent_days,
                    d.consent_days,
                    365,
                )?,
                referral_working_days: n(
                    "SATIS_REMINDERS_REFERRAL_WORKING_DAYS",
                    "reminders.referral_working_days",
                    f.referral_working_days,
                    d.referral_working_days,
                    60,
                )?,
                project_days: n(
                    "SATIS_REMINDERS_PROJECT_DAYS",
                    "reminders.project_days",
                    f.project_days,
                    d.project_days,
                    365,
                )?,
                inactive_days: n(
                    "SATIS_REMINDERS_INACTIVE_DAYS",
                    "reminders.inactive_days",
                    f.inactive_days,
                    d.inactive_days,
                    3650,
                )?,
                mediator_hours: n(
                    "SATIS_REMINDERS_MEDIATOR_HOURS",
                    "reminders.mediator_hours",
                    f.mediator_hours,
                    d.mediator_hours,
                    168,
                )?,
                call_back_hours: n(
                    "SATIS_REMINDERS_CALL_BACK_HOURS",
                    "reminders.call_back_hours",
                    f.call_back_hours,
                    d.call_back_hours,
                    720,
                )?,
            };
            if r.permit_urgent_days > r.permit_days {
                return Err(ConfigError::Key {
                    key: "reminders.permit_urgent_days".to_owned(),
                    message: "must not be more than reminders.permit_days".to_owned(),
                });
            }
            r
        };
        for (key, number) in [
            ("hotline.regional", &hotline.regional),
            ("hotline.national", &hotline.national),
            ("hotline.ordinary", &hotline.ordinary),
        ] {
            if key == "hotline.ordinary" && number.is_empty() {
                continue;
            }
            check_phone_number(number).map_err(|message| ConfigError::Key {
                key: key.to_owned(),
                message,
            })?;
        }

        for name in env.keys() {
            let base = name.strip_suffix("_FILE").unwrap_or(name);
            if name.starts_with("SATIS_")
                && !ENV_KEYS.contains(&base)
                && !SECRET_KEYS.contains(&base)
            {
                warnings.push(format!("unknown environment variable `{name}` ignored"));
            }
        }

        Ok(Loaded {
            config: Config {
                listen,
                metrics_listen,
                data_dir,
                keys_file,
                database_url,
                database_url_is_default,
                hotline,
                default_locale,
                cookie_secure,
                public_url,
                max_body_bytes,
                max_in_flight,
                retention_days,
                report_retention_days,
                retention_hour,
                session_idle: std::time::Duration::from_secs(idle * 60),
                session_absolute: std::time::Duration::from_secs(absolute * 3600),
                log_format,
                outreach,
                referrals,
                trusted_proxies,
                reports_readers,
                open_data,
                legal,
                backup,
                reminders,
                mail,
            },
            warnings,
        })
    }

    /// The database backend named by the connection string.
    pub fn backend_name(&self) -> &'static str {
        if self.database_url.starts_with("postgres") {
            "postgresql"
        } else {
            "sqlite"
        }
    }
}

/// The SQLite file used when no database is configured.
pub fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("satis.sqlite").display())
}

fn read_file(sources: &Sources<'_>, warnings: &mut Vec<String>) -> Result<FileConfig, ConfigError> {
    let (path, required) = match sources.file {
        Some(p) => (p, true),
        None => (sources.implicit_file, false),
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(FileConfig::default());
        }
        Err(e) => {
            return Err(ConfigError::File {
                path: path.display().to_string(),
                message: e.to_string(),
            });
        }
    };
    let de = toml::Deserializer::parse(&text).map_err(|e| ConfigError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let mut unknown = Vec::new();
    let parsed: FileConfig =
        serde_ignored::deserialize(de, |p| unknown.push(p.to_string().replace(".?", ""))).map_err(
            |e| ConfigError::File {
                path: path.display().to_string(),
                message: e.to_string(),
            },
        )?;
    for key in unknown {
        warnings.push(format!("unknown key `{key}` in {} ignored", path.display()));
    }
    Ok(parsed)
}

/// Reads `NAME`, or for secrets `NAME_FILE` (the file's contents, trailing newline removed).
/// A time of day `HH:MM` (24 hours).
fn backup_time(v: &str) -> Option<(u32, u32)> {
    let (h, m) = v.trim().split_once(':')?;
    let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

fn env_value(env: &BTreeMap<String, String>, name: &str) -> Result<Option<String>, ConfigError> {
    if let Some(v) = env.get(name) {
        return Ok(Some(v.clone()));
    }
    if SECRET_KEYS.contains(&name) {
        let file_key = format!("{name}_FILE");
        if let Some(path) = env.get(&file_key) {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Key {
                key: file_key.clone(),
                message: format!("cannot read {path}: {e}"),
            })?;
            return Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned()));
        }
    }
    Ok(None)
}

/// A whole number from the environment or the file, within `range`.
fn number(
    env: &BTreeMap<String, String>,
    env_key: &str,
    file_key: &str,
    file_value: Option<u64>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let (key, value) = match env_value(env, env_key)? {
        Some(v) => (
            env_key,
            v.trim().parse::<u64>().map_err(|_| ConfigError::Key {
                key: env_key.to_owned(),
                message: format!("`{v}` is not a whole number"),
            })?,
        ),
        None => (file_key, file_value.unwrap_or(default)),
    };
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::Key {
            key: key.to_owned(),
            message: format!("must be between {} and {}", range.start(), range.end()),
        })
    }
}

/// A configurable list of codes (the emergency checklist, the outreach materials): from the
/// environment (comma-separated), the file, or the default. `keys` names the variable and the
/// file key, for the error message.
fn code_list(
    keys: (&str, &str),
    env: Option<String>,
    file: Option<Vec<String>>,
    default: &[&str],
) -> Result<Vec<String>, ConfigError> {
    let (key, steps) = match (env, file) {
        (Some(v), _) => (keys.0, v.split(',').map(|s| s.trim().to_owned()).collect()),
        (None, Some(list)) => (keys.1, list),
        (None, None) => return Ok(default.iter().map(|s| (*s).to_owned()).collect()),
    };
    let valid = (1..=20).contains(&steps.len())
        && steps.iter().all(|s| {
            (1..=60).contains(&s.len())
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
    if valid {
        Ok(steps)
    } else {
        Err(ConfigError::Key {
            key: key.to_owned(),
            message: "give 1 to 20 codes of a-z, 0-9 and _ (at most 60 characters each)".into(),
        })
    }
}

/// Who a referral goes to.
pub const REFERRAL_COUNTERPART_KINDS: &[&str] =
    &["network_org", "national_hotline", "other_region"];

/// Every field a referral package may carry. What each counterpart kind receives is configured
/// (`referrals.packages`), never more than this.
pub const REFERRAL_PACKAGE_FIELDS: &[&str] = &[
    "names",
    "gender",
    "birth_year",
    "nationalities",
    "languages",
    "exploitation_forms",
    "vulnerabilities",
    "phone",
];

/// What a counterpart kind receives unless configured otherwise: the national hotline no names
/// nor vulnerabilities, the network and other regions what they need to receive the person.
pub fn default_referral_package(kind: &str) -> &'static [&'static str] {
    match kind {
        "national_hotline" => &[
            "gender",
            "birth_year",
            "nationalities",
            "languages",
            "exploitation_forms",
        ],
        _ => &[
            "names",
            "gender",
            "birth_year",
            "nationalities",
            "languages",
            "exploitation_forms",
            "vulnerabilities",
        ],
    }
}

/// The referral packages: the defaults, with the configured kinds replaced.
fn packages(
    file: Option<std::collections::BTreeMap<String, Vec<String>>>,
) -> Result<std::collections::BTreeMap<String, Vec<String>>, ConfigError> {
    let mut out: std::collections::BTreeMap<String, Vec<String>> = REFERRAL_COUNTERPART_KINDS
        .iter()
        .map(|k| {
            (
                (*k).to_owned(),
                default_referral_package(k)
                    .iter()
                    .map(|f| (*f).to_owned())
                    .collect(),
            )
        })
        .collect();
    for (kind, fields) in file.unwrap_or_default() {
        if !REFERRAL_COUNTERPART_KINDS.contains(&kind.as_str()) {
            return Err(ConfigError::Key {
                key: format!("referrals.packages.{kind}"),
                message: format!(
                    "unknown counterpart kind (use {})",
                    REFERRAL_COUNTERPART_KINDS.join(", ")
                ),
            });
        }
        if let Some(bad) = fields
            .iter()
            .find(|f| !REFERRAL_PACKAGE_FIELDS.contains(&f.as_str()))
        {
            return Err(ConfigError::Key {
                key: format!("referrals.packages.{kind}"),
                message: format!(
                    "`{bad}` is not a package field (use {})",
                    REFERRAL_PACKAGE_FIELDS.join(", ")
                ),
            });
        }
        out.insert(kind, fields);
    }
    Ok(out)
}

/// What street units hand out, unless configured otherwise.
pub const DEFAULT_OUTREACH_MATERIALS: &[&str] = &[
    "condoms",
    "lubricant",
    "leaflets",
    "hygiene_kits",
    "hot_drinks",
];

/// The steps of the regional emergency procedure, unless configured otherwise.
pub const DEFAULT_EMERGENCY_STEPS: &[&str] = &[
    "danger_assessed",
    "law_enforcement_informed",
    "health_needs_checked",
    "mediator_activated",
    "shelter_found",
    "transport_arranged",
    "handed_over",
];

fn parse_bool(key: &str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Key {
            key: key.to_owned(),
            message: format!("`{v}` is not true or false"),
        }),
    }
}

fn check_database_url(url: &str) -> Result<(), String> {
    let ok = url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a sqlite:// or postgres:// connection string",
            redact_url(url)
        ))
    }
}

fn check_phone_number(number: &str) -> Result<(), String> {
    let valid = !number.trim().is_empty()
        && number.len() <= 32
        && number
            .chars()
            .all(|c| c.is_ascii_digit() || " +-./()".contains(c));
    if valid {
        Ok(())
    } else {
        Err(format!("`{number}` is not a phone number"))
    }
}

/// A connection string with any password replaced, fit for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            // set_password only fails for URLs that cannot have one, which this one has.
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The public address as kept: `http(s)://host[:port][/path]` without a trailing slash.
fn check_public_url(v: &str) -> Result<String, String> {
    let parsed = url::Url::parse(v).map_err(|_| format!("`{v}` is not an address"))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
        return Err(format!("`{v}` is not an http(s) address"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!("`{v}` must not have a query or a fragment"));
    }
    Ok(v.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(file: Option<&str>, env: &[(&str, &str)]) -> Result<Loaded, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("satis.toml");
        if let Some(text) = file {
            std::fs::write(&path, text).unwrap();
        }
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(&Sources {
            file: None,
            implicit_file: &path,
            env: &env,
        })
    }

    #[test]
    fn defaults_need_no_file_and_no_environment() {
        let loaded = load(None, &[]).unwrap();
        let c = loaded.config;
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://data/satis.sqlite");
        assert!(c.database_url_is_default);
        assert_eq!(c.hotline.national, "800 290 290");
        assert_eq!(c.default_locale, Lang::It);
        assert!(c.cookie_secure);
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn the_ordinary_hotline_number_is_shown_unless_emptied_and_checked() {
        let c = load(None, &[]).unwrap().config;
        assert_eq!(c.hotline.ordinary, "055 536 56 12");
        let c = load(Some("[hotline]\nordinary = \"\"\n"), &[])
            .unwrap()
            .config;
        assert_eq!(c.hotline.ordinary, "", "emptied: not shown");
        let c = load(None, &[("SATIS_HOTLINE_ORDINARY", "055 123 4567")])
            .unwrap()
            .config;
        assert_eq!(c.hotline.ordinary, "055 123 4567");
        let err = load(Some("[hotline]\nordinary = \"chiama Lyca\"\n"), &[])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("hotline.ordinary"), "{err}");
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        let file = "listen = \"127.0.0.1:9000\"\ndata_dir = \"/tmp/x\"\n[hotline]\nregional = \"800 111 222\"\n";
        let c = load(Some(file), &[]).unwrap().config;
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.hotline.regional, "800 111 222");
        assert_eq!(c.database_url, "sqlite:///tmp/x/satis.sqlite");
        let c = load(Some(file), &[("SATIS_LISTEN", "0.0.0.0:7000")])
            .unwrap()
            .config;
        assert_eq!(c.listen.to_string(), "0.0.0.0:7000");
    }

    #[test]
    fn a_backup_schedule_needs_a_time_and_recipients() {
        let c = load(None, &[]).unwrap().config;
        assert_eq!(c.backup.at, None);
        assert_eq!(c.backup.keep, 14);
        assert!(c.backup.dir.ends_with("backups"));
        let (_, public) = crate::platform::backup::new_identity();
        let file = format!(
            "[backup]\nschedule = \"02:30\"\nkeep = 7\ndir = \"/srv/backups\"\nrecipients = [\"{public}\"]\n"
        );
        let c = load(Some(&file), &[]).unwrap().config;
        assert_eq!(c.backup.at, Some((2, 30)));
        assert_eq!(c.backup.keep, 7);
        assert_eq!(c.backup.dir, PathBuf::from("/srv/backups"));
        for (schedule, recipients) in [
            ("25:00", public.as_str()),
            ("02:30", ""),
            ("02:30", "age1nope"),
        ] {
            let err = load(
                None,
                &[
                    ("SATIS_BACKUP_SCHEDULE", schedule),
                    ("SATIS_BACKUP_RECIPIENTS", recipients),
                ],
            )
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
            assert!(
                err.contains("SATIS_BACKUP_SCHEDULE") || err.contains("backup.recipients"),
                "{schedule} {recipients}: {err}"
            );
        }
    }

    #[test]
    fn metrics_get_their_own_address_or_none() {
        assert_eq!(load(None, &[]).unwrap().config.metrics_listen, None);
        let c = load(None, &[("SATIS_METRICS_LISTEN", "127.0.0.1:9100")])
            .unwrap()
            .config;
        assert_eq!(c.metrics_listen.map(|a| a.port()), Some(9100));
        let err = load(Some("metrics_listen = \"127.0.0.1:8080\""), &[])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("own address"), "{err}");
        let err = load(Some("metrics_listen = \"anywhere\""), &[])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("`metrics_listen`"), "{err}");
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = load(None, &[("SATIS_LISTEN", "nowhere")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SATIS_LISTEN"), "{err}");
        let err = load(Some("listen = \"nowhere\""), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`listen`"), "{err}");
        let err = load(Some("cookie_secure = \"maybe\""), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("cookie_secure"), "{err}");
        let err = load(None, &[("DATABASE_URL", "mysql://x")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("DATABASE_URL"), "{err}");
        let err = load(None, &[("SATIS_DEFAULT_LOCALE", "xx")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SATIS_DEFAULT_LOCALE"), "{err}");
        let err = load(Some("[hotline]\nregional = \"call me\""), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("hotline.regional"), "{err}");
    }

    #[test]
    fn the_emergency_checklist_is_configurable() {
        let c = load(None, &[]).unwrap().config;
        assert_eq!(
            c.hotline.emergency_steps.len(),
            DEFAULT_EMERGENCY_STEPS.len()
        );
        let c = load(
            Some("[hotline]\nemergency_steps = [\"call_112\", \"bed_found\"]\n"),
            &[],
        )
        .unwrap()
        .config;
        assert_eq!(c.hotline.emergency_steps, vec!["call_112", "bed_found"]);
        let c = load(None, &[("SATIS_EMERGENCY_STEPS", "a, b_2")])
            .unwrap()
            .config;
        assert_eq!(c.hotline.emergency_steps, vec!["a", "b_2"]);
        let err = load(Some("[hotline]\nemergency_steps = [\"Not Valid\"]\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("hotline.emergency_steps"), "{err}");
        let err = load(None, &[("SATIS_EMERGENCY_STEPS", "")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SATIS_EMERGENCY_STEPS"), "{err}");
    }

    #[test]
    fn referral_packages_default_and_are_validated() {
        let c = load(None, &[]).unwrap().config;
        assert!(!c.referrals.packages["national_hotline"].contains(&"names".to_owned()));
        let c = load(
            Some("[referrals.packages]\nnetwork_org = [\"gender\"]\n"),
            &[],
        )
        .unwrap()
        .config;
        assert_eq!(c.referrals.packages["network_org"], vec!["gender"]);
        assert!(c.referrals.packages["other_region"].contains(&"names".to_owned()));
        let err = load(
            Some("[referrals.packages]\nnetwork_org = [\"religion\"]\n"),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("referrals.packages.network_org"), "{err}");
    }

    #[test]
    fn outreach_materials_are_configurable_codes() {
        let c = load(None, &[]).unwrap().config;
        assert!(c.outreach.materials.contains(&"condoms".to_owned()));
        let c = load(
            Some("[outreach]\nmaterials = [\"masks\", \"leaflets\"]\n"),
            &[],
        )
        .unwrap()
        .config;
        assert_eq!(c.outreach.materials, vec!["masks", "leaflets"]);
        let err = load(None, &[("SATIS_OUTREACH_MATERIALS", "Con doms")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SATIS_OUTREACH_MATERIALS"), "{err}");
    }

    #[test]
    fn unknown_keys_and_variables_warn() {
        let loaded = load(
            Some("lisen = \"x\"\n[hotline]\nfoo = 1\n"),
            &[("SATIS_LISTN", "x")],
        )
        .unwrap();
        let all = loaded.warnings.join("\n");
        assert!(all.contains("`lisen`"), "{all}");
        assert!(all.contains("`hotline.foo`"), "{all}");
        assert!(all.contains("SATIS_LISTN"), "{all}");
    }

    #[test]
    fn mail_is_off_by_default_and_checked_when_on() {
        assert!(load(None, &[]).unwrap().config.mail.is_none());
        let on = |url: &str, site: &str| {
            load(
                None,
                &[
                    ("SATIS_MAIL_SMTP_URL", url),
                    ("SATIS_MAIL_FROM", "SATIS <satis@regione.toscana.it>"),
                    ("SATIS_MAIL_SITE_URL", site),
                ],
            )
        };
        let c = on(
            "smtps://satis:hunter2@mail.example.org:465",
            "https://satis.example/",
        )
        .unwrap()
        .config;
        let mail = c.mail.clone().unwrap();
        assert_eq!(mail.site_url, "https://satis.example");
        assert_eq!(mail.digest_hour, 7);
        assert!(!format!("{c:?}").contains("hunter2"));
        let err = on("smtp://mail.example.org:25", "https://satis.example")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("SATIS_MAIL_SMTP_URL") && err.contains("in clear"),
            "{err}"
        );
        let err = on("smtp://127.0.0.1:25", "").unwrap_err().to_string();
        assert!(err.contains("SATIS_MAIL_SITE_URL"), "{err}");
        let err = load(
            Some("[mail]\nsmtp_url = \"smtp://127.0.0.1:25\"\nfrom = \"x\"\nsite_url = \"https://s.example\"\n"),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("mail.from"), "{err}");
        let err = load(
            Some("[mail]\nsmtp_url = \"smtp://127.0.0.1:25\"\nfrom = \"a@b.it\"\nsite_url = \"https://s.example\"\ndigest_hour = 24\n"),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("mail.digest_hour"), "{err}");
    }

    #[test]
    fn secrets_can_come_from_files_and_are_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("db");
        std::fs::write(&secret, "postgres://u:hunter2@localhost/db\n").unwrap();
        let c = load(None, &[("DATABASE_URL_FILE", secret.to_str().unwrap())])
            .unwrap()
            .config;
        assert_eq!(c.database_url, "postgres://u:hunter2@localhost/db");
        assert_eq!(c.backend_name(), "postgresql");
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let err = load(None, &[("DATABASE_URL_FILE", "/nonexistent/x")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("DATABASE_URL_FILE"), "{err}");
    }
}
