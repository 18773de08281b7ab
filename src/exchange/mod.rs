//! Data exchange: historical records imported from CTDC-layout files (`satis import ctdc`),
//! counted by the statistics (`/stats/historical`).

use chrono::Datelike;
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

use crate::platform::i18n::Lang;

pub mod api;
pub mod ctdc;
pub mod entities;
pub mod figures;
pub mod htcds;
pub mod htcds_csv;
pub mod pages;
pub mod store;

pub use store::all as historical_records;

use crate::platform::policy::Permission;
use crate::platform::web::routes::{Access, Routes};

pub fn routes() -> Routes {
    let aggregates = Access::Permission(Permission::ReadAggregates);
    // Documents carry identity data: only roles that may read it, and exporting one sends it
    // out of the organisation.
    let work = Access::Permission(Permission::SeeIdentity);
    let disclose = Access::Permission(Permission::Disclose);
    Routes::new()
        .get("/stats/historical", aggregates, pages::historical)
        .get("/stats/historical.csv", aggregates, pages::historical_csv)
        .get("/cases/{id}/htcds.json", disclose, pages::export_case)
        .get("/exchange/import", work, pages::import_form)
        .get("/exchange/htcds-schema.json", work, pages::htcds_schema)
        .post("/exchange/import", work, pages::import_case)
}

/// Exports a case as an HTCDS-aligned document for an actor: the access is decided as a
/// reading of identity (a refusal is audited by the guard), the export is audited before the
/// identity is read. `Ok(None)` when there is no such case.
pub async fn export_case_document(
    state: &crate::platform::web::SharedState,
    actor: &crate::platform::policy::Actor,
    case_id: i32,
) -> Result<Option<serde_json::Value>, crate::platform::web::AppError> {
    use crate::platform::audit::{self, Entry};
    let (_, person, _) = crate::cases::guard(
        state,
        actor,
        case_id,
        crate::platform::policy::Action::ReadIdentity,
    )
    .await?;
    audit::append(
        &state.db,
        &state.keys,
        Entry::new(Some(actor), "case.export_htcds", "case")
            .record(case_id)
            .subject(&person.code),
    )
    .await?;
    Ok(case_record(&state.db, &state.keys, case_id)
        .await?
        .map(|r| htcds::document(&r)))
}

/// Reads a case into the exchange record (identity included: the caller has decided and
/// audited the access).
pub async fn case_record(
    db: &impl ConnectionTrait,
    keys: &crate::platform::crypto::KeyRing,
    case_id: i32,
) -> Result<Option<htcds::CaseRecord>, DbErr> {
    let Some(found) = crate::cases::case_with_identity(db, keys, case_id).await? else {
        return Ok(None);
    };
    let crate::cases::CaseWithIdentity {
        case,
        person,
        identity,
        processing_consent,
    } = found;
    let list = |s: &str| -> Vec<String> { crate::platform::codes::to_vec(s) };
    Ok(Some(htcds::CaseRecord {
        names: identity.names,
        aliases: identity.aliases,
        birth_date: identity.birth_date,
        documents: identity.documents,
        phone: identity.phone,
        address: identity.address,
        gender: person.gender,
        birth_year: person.birth_year,
        birth_year_estimated: person.birth_year_estimated,
        presumed_minor: person.presumed_minor,
        nationalities: list(&person.nationalities),
        languages: list(&person.languages),
        vulnerabilities: person.vulnerabilities,
        phase: case.phase,
        closure_reason: case.closure_reason,
        trafficking_status: case.trafficking_status,
        exploitation_forms: list(&case.exploitation_forms),
        labour_sector: case.labour_sector,
        means_of_control: list(&case.means_of_control),
        recruitment: list(&case.recruitment),
        consent: processing_consent,
    }))
}

/// Imports a case from an HTCDS document for the actor's organisation: the case opened from
/// the record and its audit entry, in the caller's transaction (the import page's operation).
pub async fn import_case<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait>(
    state: &crate::platform::web::SharedState,
    txn: &C,
    actor: &crate::platform::policy::Actor,
    org: i32,
    record: &htcds::CaseRecord,
) -> Result<i32, crate::platform::web::AppError> {
    let id = open_from_record(txn, &state.keys, record, org, actor.user_id)
        .await
        .map_err(|_| crate::platform::web::AppError::Internal("importing a case"))?;
    crate::platform::audit::append(
        txn,
        &state.keys,
        crate::platform::audit::Entry::new(Some(actor), "case.import_htcds", "case").record(id),
    )
    .await?;
    Ok(id)
}

/// Opens a case in `org` from an exchange record, in one transaction (the document carries no
/// date: the case opens here today).
pub async fn open_from_record<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    keys: &crate::platform::crypto::KeyRing,
    c: &htcds::CaseRecord,
    org: i32,
    by_user: i32,
) -> Result<i32, crate::cases::CaseError> {
    let arrival = crate::cases::Arrival {
        person: crate::cases::NewPerson {
            gender: c.gender.clone(),
            birth_year: c.birth_year,
            birth_year_estimated: c.birth_year_estimated,
            presumed_minor: c.presumed_minor,
            nationalities: c.nationalities.clone(),
            languages: c.languages.clone(),
            vulnerabilities: c.vulnerabilities.clone(),
        },
        identity: crate::cases::Identity {
            names: c.names.clone(),
            aliases: c.aliases.clone(),
            birth_date: c.birth_date.clone(),
            documents: c.documents.clone(),
            phone: c.phone.clone(),
            address: c.address.clone(),
        },
        facts: crate::cases::ArrivedFacts {
            phase: Some(c.phase.clone()),
            closure_reason: c.closure_reason.clone(),
            trafficking_status: c.trafficking_status.clone(),
            exploitation_forms: c.exploitation_forms.clone(),
            labour_sector: c.labour_sector.clone(),
            means_of_control: c.means_of_control.clone(),
            recruitment: c.recruitment.clone(),
            processing_consent: c.consent,
        },
    };
    crate::cases::open_arrived_case(db, keys, &arrival, org, by_user).await
}

/// How to import.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub dry_run: bool,
    pub skip_invalid: bool,
    /// Read the file as ISO 8859-1 (Latin-1) instead of UTF-8.
    pub latin1: bool,
}

/// What an import did (or would do).
#[derive(Debug)]
pub enum Outcome {
    /// The file cannot be read as a CTDC-layout CSV: nothing saved.
    Unreadable(ctdc::FileError),
    /// Some rows are wrong and `skip_invalid` was not given: nothing saved.
    Refused { plan: ctdc::Plan },
    /// Nothing saved on purpose.
    DryRun {
        plan: ctdc::Plan,
        summary: ctdc::Summary,
    },
    Imported {
        plan: ctdc::Plan,
        summary: ctdc::Summary,
        imported: usize,
    },
}

/// Imports (or plans) a CTDC-layout file, with a progress bar on a terminal.
pub async fn import_ctdc<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    data: &[u8],
    source: &str,
    options: Options,
) -> Result<Outcome, DbErr> {
    import_as::<ctdc::Layout, C>(db, data, source, options).await
}

/// Imports (or plans) a CSV file with HTCDS column names.
pub async fn import_htcds_csv<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    data: &[u8],
    source: &str,
    options: Options,
) -> Result<Outcome, DbErr> {
    import_as::<htcds_csv::Layout, C>(db, data, source, options).await
}

async fn import_as<F: ctdc::Format, C: ConnectionTrait + TransactionTrait>(
    db: &C,
    data: &[u8],
    source: &str,
    options: Options,
) -> Result<Outcome, DbErr> {
    let converted;
    let data = if options.latin1 {
        converted = ctdc::latin1_to_utf8(data);
        converted.as_slice()
    } else {
        data
    };
    let existing = store::existing_keys(db).await?;
    let lines = data.iter().filter(|b| **b == b'\n').count() as u64;
    let bar = indicatif::ProgressBar::new(lines.saturating_mul(2));
    let planned = ctdc::plan_as::<F>(data, &existing, chrono::Utc::now().year(), |_| bar.inc(1));
    let plan = match planned {
        Ok(p) => p,
        Err(e) => {
            bar.finish_and_clear();
            return Ok(Outcome::Unreadable(e));
        }
    };
    let mut summary = ctdc::Summary::default();
    for (_, r) in &plan.new {
        summary.add(&r.gender, &r.forms, &r.citizenship);
    }
    if options.dry_run {
        bar.finish_and_clear();
        return Ok(Outcome::DryRun { plan, summary });
    }
    if !plan.rejected.is_empty() && !options.skip_invalid {
        bar.finish_and_clear();
        return Ok(Outcome::Refused { plan });
    }
    let batch = crate::platform::crypto::random_token(12);
    let imported = store::import(db, &plan.new, source, &batch, |n| bar.inc(n as u64)).await?;
    bar.finish_and_clear();
    Ok(Outcome::Imported {
        plan,
        summary,
        imported,
    })
}

fn rejected_lines(plan: &ctdc::Plan, lang: Lang) -> String {
    let mut out = String::new();
    for (line, e) in &plan.rejected {
        out.push_str(&lang.t_args(
            "import-row-rejected",
            &[
                ("line", &line.to_string()),
                ("column", &e.column),
                ("value", &e.value),
                ("reason", &lang.t(e.key)),
            ],
        ));
        out.push('\n');
    }
    out
}

/// The columns read past and, per column, the values read as "not recorded".
fn reading_lines(plan: &ctdc::Plan, lang: Lang) -> String {
    let mut out = String::new();
    if let Some(key) = plan.layout {
        out.push_str(&lang.t_args("import-layout", &[("layout", &lang.t(key))]));
        out.push('\n');
    }
    if !plan.ignored_columns.is_empty() {
        out.push_str(&lang.t_args(
            "import-ignored-columns",
            &[("columns", &plan.ignored_columns.join(", "))],
        ));
        out.push('\n');
    }
    if !plan.not_recorded.is_empty() {
        out.push_str(&lang.t("import-not-recorded"));
        out.push('\n');
        let cells: Vec<String> = plan
            .not_recorded
            .iter()
            .map(|(k, n)| format!("{k}={n}"))
            .collect();
        out.push_str(&format!("  {}\n", cells.join(", ")));
    }
    out
}

fn summary_lines(s: &ctdc::Summary) -> String {
    let mut out = String::new();
    for (name, map) in [
        ("gender", &s.gender),
        ("form", &s.form),
        ("citizenship", &s.citizenship),
    ] {
        let cells: Vec<String> = map.iter().map(|(k, n)| format!("{k}={n}")).collect();
        out.push_str(&format!("  {name}: {}\n", cells.join(", ")));
    }
    out
}

/// The outcome as the administrator reads it, in `lang`.
pub fn describe(o: &Outcome, lang: Lang) -> String {
    let n = |v: usize| v.to_string();
    match o {
        Outcome::Unreadable(ctdc::FileError::Csv(line)) => {
            format!(
                "{}\n",
                lang.t_args("import-error-csv", &[("line", &line.to_string())])
            )
        }
        Outcome::Unreadable(ctdc::FileError::Encoding(line)) => {
            format!(
                "{}\n",
                lang.t_args("import-error-encoding", &[("line", &line.to_string())])
            )
        }
        Outcome::Unreadable(ctdc::FileError::Header(errors)) => {
            let mut out = format!("{}\n", lang.t("import-error-header"));
            for e in errors {
                let (key, column) = e.message();
                out.push_str(&format!("  {}\n", lang.t_args(key, &[("column", column)])));
            }
            out
        }
        Outcome::Refused { plan } => format!(
            "{}{}\n",
            rejected_lines(plan, lang),
            lang.t_args("import-refused", &[("rejected", &n(plan.rejected.len()))])
        ),
        Outcome::DryRun { plan, summary } => format!(
            "{}{}\n{}{}",
            rejected_lines(plan, lang),
            lang.t_args(
                "import-dry-run",
                &[
                    ("new", &n(plan.new.len())),
                    ("already", &n(plan.already)),
                    ("rejected", &n(plan.rejected.len())),
                ],
            ),
            summary_lines(summary),
            reading_lines(plan, lang)
        ),
        Outcome::Imported {
            plan,
            summary,
            imported,
        } => format!(
            "{}{}{}\n{}",
            reading_lines(plan, lang),
            rejected_lines(plan, lang),
            lang.t_args(
                "import-done",
                &[
                    ("new", &n(*imported)),
                    ("already", &n(plan.already)),
                    ("rejected", &n(plan.rejected.len())),
                ],
            ),
            summary_lines(summary)
        ),
    }
}
