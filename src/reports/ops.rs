//! What the public form writes: a report, and a reporter's later message. Nothing here knows
//! who the reporter is: no address, no browser, no account; the receipt is the only key, kept
//! as a hash. Staff replies and triage are `triage`'s operations.

use sea_orm::ActiveValue::Set;
use sea_orm::{DatabaseConnection, TransactionTrait};

use super::entities::{message, report};
use super::store;
use crate::platform::crypto::{self, KeyRing};
use crate::platform::web::AppError;

/// A public report as typed, checked: what the handler stores (sealed) once it is not a replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportForm {
    pub submission: String,
    pub what: String,
    pub anonymous: bool,
    pub contact: String,
    pub people: Option<i32>,
    pub kinds: Vec<String>,
    pub urgency: String,
    pub minors: String,
    pub province: Option<String>,
}

/// The optional free texts of a report, as typed.
pub struct Details {
    pub place: String,
    pub since: String,
    pub gender: String,
}

/// What became of a submission.
pub enum Submitted {
    /// Stored: the receipt to show once.
    Stored { receipt: String },
    /// The same submission was stored already (sent twice, or two tabs racing).
    Replay,
}

fn seal(keys: &KeyRing, ctx: &str, v: &str) -> Result<Option<Vec<u8>>, AppError> {
    if v.is_empty() {
        return Ok(None);
    }
    keys.encrypt_str(ctx, v)
        .map(Some)
        .map_err(|_| AppError::Internal("sealing a report"))
}

/// Stores a checked report, its texts sealed, received on today's Italian date; the receipt is
/// made here and only its hash is kept. The organisations that read reports (`readers`) hear
/// of it through their webhooks, written in the same transaction, dated by its day only.
pub async fn submit(
    db: &DatabaseConnection,
    keys: &KeyRing,
    r: &ReportForm,
    extra: &Details,
    language: &str,
    readers: &[i32],
) -> Result<Submitted, AppError> {
    let submission_hash = crypto::sha256_hex(r.submission.as_bytes());
    let receipt = store::new_receipt();
    let receipt_hash = crypto::hash_password_async(receipt.clone())
        .await
        .map_err(|_| AppError::Internal("hashing a receipt"))?;
    let row = report::ActiveModel {
        received_on: Set(crate::platform::time::rome_today()),
        language: Set(language.to_owned()),
        province: Set(r.province.clone()),
        urgency: Set(r.urgency.clone()),
        people: Set(r.people),
        minors: Set(r.minors.clone()),
        kinds: Set(crate::platform::codes::join(&r.kinds)),
        anonymous: Set(r.anonymous),
        status: Set("new".into()),
        triage_contact_id: Set(None),
        duplicate_of: Set(None),
        triaged_at: Set(None),
        receipt_lookup: Set(store::lookup_of(&receipt).to_owned()),
        receipt_hash: Set(receipt_hash),
        submission_hash: Set(submission_hash.clone()),
        what_enc: Set(seal(keys, store::WHAT, &r.what)?),
        place_enc: Set(seal(keys, store::PLACE, &extra.place)?),
        since_enc: Set(seal(keys, store::SINCE, &extra.since)?),
        gender_enc: Set(seal(keys, store::GENDER, &extra.gender)?),
        contact_enc: Set(if r.anonymous {
            None
        } else {
            seal(keys, store::CONTACT, &r.contact)?
        }),
        ..Default::default()
    };
    let txn = db.begin().await?;
    match store::add(&txn, row).await {
        Ok(stored) => {
            crate::platform::webhooks::emit(
                &txn,
                readers,
                crate::platform::webhooks::Event {
                    kind: "public_report.received",
                    record_type: "public_report",
                    record_id: stored.id,
                    at: crate::platform::time::rome_midnight(stored.received_on),
                },
            )
            .await?;
            txn.commit().await?;
            Ok(Submitted::Stored { receipt })
        }
        Err(e) => {
            txn.rollback().await?;
            // Two identical submissions racing: the unique submission id lets only one in.
            if store::by_submission(db, &submission_hash).await?.is_some() {
                Ok(Submitted::Replay)
            } else {
                Err(e.into())
            }
        }
    }
}

/// A reporter's message on their report's thread (already checked for length).
pub async fn add_reporter_message(
    db: &DatabaseConnection,
    keys: &KeyRing,
    report_id: i32,
    text: &str,
) -> Result<(), AppError> {
    store::add_message(
        db,
        message::ActiveModel {
            report_id: Set(report_id),
            from_reporter: Set(true),
            // As coarse as the report itself: the day, not the moment, the reporter wrote.
            at: Set(crate::platform::time::rome_midnight(
                crate::platform::time::rome_today(),
            )),
            text_enc: Set(seal(keys, store::MESSAGE, text)?),
            by_user: Set(None),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// A public report opened for a reader: its texts and its thread, unsealed.
pub struct OpenedReport {
    pub report: report::Model,
    pub what: String,
    pub place: String,
    pub since: String,
    pub gender: String,
    pub contact: String,
    /// The thread, oldest first.
    pub messages: Vec<OpenedMessage>,
}

/// One message of a report's thread.
pub struct OpenedMessage {
    pub from_reporter: bool,
    pub at: chrono::DateTime<chrono::Utc>,
    pub text: String,
}

/// Opens a report for a reader: the policy decides (a refusal is audited), the reading is
/// audited (`via` says where: `None` on the pages, `Some("api")` through the API) before
/// anything is unsealed. `Ok(None)` when there is no such report.
pub async fn read(
    state: &crate::platform::web::SharedState,
    actor: &crate::platform::policy::Actor,
    id: i32,
    via: Option<&str>,
) -> Result<Option<OpenedReport>, AppError> {
    use crate::platform::audit::{self, Entry};
    super::guard(state, actor).await?;
    let Some(r) = store::get(&state.db, id).await? else {
        return Ok(None);
    };
    let mut entry = Entry::new(Some(actor), "report.read", "public_report")
        .record(id)
        .subject(format!("report:{id}"));
    if let Some(via) = via {
        entry = entry.reason(via);
    }
    audit::append(&state.db, &state.keys, entry).await?;
    let open = |ctx: &str, v: &Option<Vec<u8>>| store::open_text(&state.keys, ctx, v);
    let mut messages = Vec::new();
    for m in store::messages(&state.db, id).await? {
        messages.push(OpenedMessage {
            from_reporter: m.from_reporter,
            at: m.at,
            text: open(store::MESSAGE, &m.text_enc)?,
        });
    }
    Ok(Some(OpenedReport {
        what: open(store::WHAT, &r.what_enc)?,
        place: open(store::PLACE, &r.place_enc)?,
        since: open(store::SINCE, &r.since_enc)?,
        gender: open(store::GENDER, &r.gender_enc)?,
        contact: open(store::CONTACT, &r.contact_enc)?,
        report: r,
        messages,
    }))
}
