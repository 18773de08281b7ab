//! Form fields as browsers send them (`application/x-www-form-urlencoded`), with repeated names
//! kept for multiple selects and checkbox groups. Every area's handlers read their forms here.

use crate::platform::time;
use axum::body::Bytes;
use chrono::NaiveDate;

/// The largest file a form may carry (information materials); the body of such a form may be
/// this plus some room for its other fields.
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;
/// Room for a file form's other fields beside its file.
pub const UPLOAD_FIELDS_ROOM: usize = 64 * 1024;
/// Pages whose forms carry a file: their bodies may be as large as the largest upload. `*`
/// stands for one segment of the path (an id).
pub const UPLOAD_PATHS: &[&str] = &["/redazione/materiali", "/redazione/notizie/*/immagine"];

/// Whether `path` is one of [`UPLOAD_PATHS`].
pub fn is_upload_path(path: &str) -> bool {
    UPLOAD_PATHS.iter().any(|pattern| {
        let (mut a, mut b) = (pattern.split('/'), path.split('/'));
        loop {
            match (a.next(), b.next()) {
                (None, None) => return true,
                (Some("*"), Some(s)) if !s.is_empty() => {}
                (Some(x), Some(y)) if x == y => {}
                _ => return false,
            }
        }
    })
}

/// A submitted form's fields (kept, when a form is refused, to draw it again as typed).
#[derive(Clone, Default)]
pub struct Fields(Vec<(String, String)>);

/// A value without NUL characters: no form means one, and PostgreSQL cannot store it in text
/// (it would refuse the whole write where SQLite keeps it).
fn without_nul(mut v: String) -> String {
    if v.contains('\0') {
        v.retain(|c| c != '\0');
    }
    v
}

impl Fields {
    pub fn parse(body: &Bytes) -> Fields {
        Fields::from_pairs(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// Fields from name–value pairs: the API hands its typed requests to the same rules as
    /// the forms this way.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Fields {
        Fields(
            pairs
                .into_iter()
                .map(|(k, v)| (without_nul(k), without_nul(v)))
                .collect(),
        )
    }

    /// Whether no field was sent (a form drawn fresh).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// The value of `name`, or `None` when absent or blank.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    /// Every value of `name` (checkbox groups, multiple selects).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Every value of `name` that is a whole number (ids).
    pub fn all_ids(&self, name: &str) -> Vec<i32> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| v.parse().ok())
            .collect()
    }

    /// Whether a checkbox (or any field) named `name` was sent.
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The value of `name`, trimmed and cut to `max` characters.
    pub fn text(&self, name: &str, max: usize) -> String {
        self.get(name).chars().take(max).collect()
    }

    /// An optional `YYYY-MM-DD` date from 1900 up to some years ahead (expiries,
    /// appointments); `Err` with a message key naming the field when malformed or outside.
    pub fn date(&self, name: &str) -> Result<Option<NaiveDate>, &'static str> {
        self.date_within(name, true)
    }

    /// An optional `YYYY-MM-DD` date from 1900 to today in Italy (something that happened).
    pub fn past_date(&self, name: &str) -> Result<Option<NaiveDate>, &'static str> {
        self.date_within(name, false)
    }

    fn date_within(&self, name: &str, future: bool) -> Result<Option<NaiveDate>, &'static str> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                .ok()
                .filter(|d| time::date_in_range(*d, future, time::rome_today()))
                .map(Some)
                .ok_or_else(|| date_error(name)),
        }
    }

    /// A required `YYYY-MM-DD` date (future allowed, as [`Fields::date`]).
    pub fn required_date(&self, name: &str) -> Result<NaiveDate, &'static str> {
        self.date(name)?.ok_or_else(|| date_error(name))
    }

    /// A required date that is not in the future (as [`Fields::past_date`]).
    pub fn required_past_date(&self, name: &str) -> Result<NaiveDate, &'static str> {
        self.past_date(name)?.ok_or_else(|| date_error(name))
    }

    /// The `version` a form was drawn with (for stale-form detection); -1 when missing.
    pub fn version(&self) -> i32 {
        self.get("version").parse().unwrap_or(-1)
    }

    /// The submitted values except the CSRF token, to fill a form again after an error.
    pub fn values(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(k, _)| k != "_csrf")
            .cloned()
            .collect()
    }
}

/// A period typed as two optional days (`YYYY-MM-DD`): a blank one takes its default; a day
/// that is not a date, or a period ending before it starts, is an error (its Fluent key).
pub fn period(
    from: &str,
    to: &str,
    default_from: NaiveDate,
    default_to: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), &'static str> {
    let default = time::Period {
        from: default_from,
        to: default_to,
    };
    time::Period::parse(from, to, default)
        .map(|p| (p.from, p.to))
        .map_err(time::PeriodError::key)
}

/// The names of the date fields with a message of their own.
const DATE_FIELDS: &[&str] = &[
    "birth_date",
    "given_on",
    "expires_on",
    "issued_on",
    "applied_on",
    "since",
    "until",
    "happened_on",
    "held_on",
    "scheduled_on",
    "report_sent_on",
    "consent_on",
    "spent_on",
    "effective_on",
    "withdrawn_on",
    "opened_on",
];

/// The field a date message names (for the API's `error.field`).
pub fn date_field(key: &str) -> Option<&'static str> {
    DATE_FIELDS.iter().copied().find(|f| date_error(f) == key)
}

/// The message of a wrong date, naming the field when it is a known one.
pub fn date_error(name: &str) -> &'static str {
    match name {
        "birth_date" => "error-date-birth-date",
        "given_on" => "error-date-given-on",
        "expires_on" => "error-date-expires-on",
        "issued_on" => "error-date-issued-on",
        "applied_on" => "error-date-applied-on",
        "since" => "error-date-since",
        "until" => "error-date-until",
        "happened_on" => "error-date-happened-on",
        "held_on" => "error-date-held-on",
        "scheduled_on" => "error-date-scheduled-on",
        "report_sent_on" => "error-date-report-sent-on",
        "consent_on" => "error-date-consent-on",
        "spent_on" => "error-date-spent-on",
        "effective_on" => "error-date-effective-on",
        "withdrawn_on" => "error-date-withdrawn-on",
        "opened_on" => "error-date-opened-on",
        _ => "network-error-date",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_paths_match_whole_segments() {
        assert!(is_upload_path("/redazione/materiali"));
        assert!(is_upload_path("/redazione/notizie/12/immagine"));
        assert!(!is_upload_path("/redazione/notizie//immagine"));
        assert!(!is_upload_path("/redazione/notizie/12/immagine/x"));
        assert!(!is_upload_path("/redazione/notizie/12"));
        assert!(!is_upload_path("/redazione/materiali/3/step"));
        assert!(!is_upload_path("/segnala"));
    }

    #[test]
    fn repeated_names_dates_and_blanks() {
        let f = Fields::parse(&Bytes::from_static(
            b"_csrf=t&a=+x+&k=1&k=2&k=z&d=2026-01-02&bad=2026-13-01&empty=",
        ));
        assert_eq!(f.get("a"), "x");
        assert_eq!(f.opt("empty"), None);
        assert_eq!(f.all("k"), vec!["1", "2", "z"]);
        assert_eq!(f.all_ids("k"), vec![1, 2]);
        assert!(f.checked("empty") && !f.checked("nope"));
        assert_eq!(f.date("d"), Ok(NaiveDate::from_ymd_opt(2026, 1, 2)));
        assert_eq!(f.date("none"), Ok(None));
        assert_eq!(f.date("bad"), Err("network-error-date"));
        assert_eq!(f.required_date("none"), Err("network-error-date"));
        assert_eq!(f.version(), -1);
        assert!(!f.values().iter().any(|(k, _)| k == "_csrf"));
    }

    #[test]
    fn dates_outside_a_sane_range_are_refused_naming_the_field() {
        let f = Fields::from_pairs(vec![
            ("given_on".into(), "0000-00-00".into()),
            ("since".into(), "+262143-01-01".into()),
            ("held_on".into(), "0000-01-01".into()),
            ("expires_on".into(), "2030-01-01".into()),
            ("happened_on".into(), "2999-01-01".into()),
            ("birth_date".into(), "1899-12-31".into()),
        ]);
        assert_eq!(f.past_date("given_on"), Err("error-date-given-on"));
        assert_eq!(f.past_date("since"), Err("error-date-since"));
        assert_eq!(f.required_past_date("held_on"), Err("error-date-held-on"));
        assert_eq!(f.required_past_date("until"), Err("error-date-until"));
        assert!(f.date("expires_on").is_ok_and(|d| d.is_some()));
        assert_eq!(f.past_date("expires_on"), Err("error-date-expires-on"));
        assert_eq!(f.date("happened_on"), Err("error-date-happened-on"));
        assert_eq!(f.date("birth_date"), Err("error-date-birth-date"));
        assert!(!f.values().iter().any(|(k, _)| k == "_csrf"));
        assert_eq!(f.text("a", 0), "");
    }

    #[test]
    fn nul_characters_are_dropped_from_names_and_values() {
        let f = Fields::parse(&Bytes::from_static(b"area=Cas%00cine&n%00ote=x"));
        assert_eq!(f.get("area"), "Cascine");
        assert_eq!(f.get("note"), "x");
        let f = Fields::from_pairs(vec![("m".into(), "\0\0".into())]);
        assert_eq!(f.opt("m"), None);
    }

    #[test]
    fn a_period_takes_defaults_and_refuses_bad_days_and_reversed_ends() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let (a, b) = (d("2026-01-01"), d("2026-06-30"));
        assert_eq!(super::period("", " ", a, b), Ok((a, b)));
        assert_eq!(
            super::period("2026-03-01", "", a, b),
            Ok((d("2026-03-01"), b))
        );
        assert_eq!(super::period("ieri", "", a, b), Err("network-error-date"));
        assert_eq!(
            super::period("2026-05-02", "2026-05-01", a, b),
            Err("outreach-error-period")
        );
    }
}
