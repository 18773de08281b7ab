//! Key rotation: `satis keys rotate` re-encrypts every encrypted column under a new key. Each
//! area lists the columns it seals (`SEALED` beside their contexts); the composition root
//! (`crate::app::encrypted_columns`) assembles them, and the canary test checks each one is
//! really encrypted.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionSession, TransactionTrait};

use crate::platform::crypto::{CryptoError, KeyRing};

/// One encrypted column: its table, integer primary key, column, and encryption context.
#[derive(Clone, Copy, Debug)]
pub struct EncryptedColumn {
    pub table: &'static str,
    pub key: &'static str,
    pub column: &'static str,
    pub context: &'static str,
}

/// Plain text an older version kept in clear, to be sealed into its new column at start-up.
#[derive(Clone, Copy, Debug)]
pub struct LegacyPlain {
    pub table: &'static str,
    pub plain: &'static str,
    pub sealed: &'static str,
    pub context: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error("database: {0}")]
    Db(&'static str),
    #[error("{table}.{column} row {id}: {source}")]
    Value {
        table: &'static str,
        column: &'static str,
        id: i64,
        source: CryptoError,
    },
}

impl From<DbErr> for RotateError {
    fn from(e: DbErr) -> Self {
        RotateError::Db(crate::platform::db::describe(&e))
    }
}

/// Re-encrypts every value not sealed with the ring's current key, in one transaction.
/// Returns how many values were rewritten.
pub async fn reencrypt_all(
    db: &DatabaseConnection,
    ring: &KeyRing,
    columns: &[EncryptedColumn],
) -> Result<u64, RotateError> {
    let current = ring.current_id();
    let txn = db.begin().await?;
    let mut count = 0u64;
    for col in columns {
        let select = Query::select()
            .column(Alias::new(col.key))
            .column(Alias::new(col.column))
            .from(Alias::new(col.table))
            .and_where(Expr::col(Alias::new(col.column)).is_not_null())
            .to_owned();
        let rows = txn.query_all(&select).await?;
        for row in rows {
            let id: i64 = row
                .try_get_by_index::<i32>(0)
                .map(i64::from)
                .or_else(|_| row.try_get_by_index::<i64>(0))?;
            let sealed: Vec<u8> = row.try_get_by_index(1)?;
            if KeyRing::key_id_of(&sealed) == Some(current) {
                continue;
            }
            let err = |source| RotateError::Value {
                table: col.table,
                column: col.column,
                id,
                source,
            };
            let plain = ring.decrypt(col.context, &sealed).map_err(err)?;
            let resealed = ring.encrypt(col.context, &plain).map_err(err)?;
            let update = Query::update()
                .table(Alias::new(col.table))
                .value(Alias::new(col.column), resealed)
                .and_where(Expr::col(Alias::new(col.key)).eq(id))
                .to_owned();
            txn.execute(&update).await?;
            count += 1;
        }
    }
    txn.commit().await?;
    Ok(count)
}

/// Text columns kept in clear, by table, each group with the reason it names no one. A test
/// (`platform::every_text_column_is_sealed_or_declared`) lists every text column of the live
/// schema on both backends and fails on one that is neither here nor sealed: a new column of
/// free text cannot slip into the database in clear unnoticed.
pub struct PlainText {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub why: &'static str,
}

const TIMES: &str = "dates and times (SQLite keeps them as text)";
const CODES: &str = "codes from the fixed lists in the area's rules.rs";
const KEYS: &str = "hashes, lookups and idempotency keys: random or one-way, reveal nothing";

pub const PLAIN_TEXT: &[PlainText] = &[
    PlainText {
        table: "notify_pref",
        columns: &["mode"],
        why: CODES,
    },
    PlainText {
        table: "notify_pref",
        columns: &["updated_at"],
        why: TIMES,
    },
    PlainText {
        table: "mail_outbox",
        columns: &["subject", "body"],
        why: "fixed text with counts and the desk's link (platform::mail::compose): no record, no name",
    },
    PlainText {
        table: "mail_outbox",
        columns: &["dedupe_key"],
        why: "the message's kind, the account's id and a day or a hash of due-item keys",
    },
    PlainText {
        table: "mail_outbox",
        columns: &["state", "last_error"],
        why: "delivery states and SMTP reply classes (codes, never the server's text)",
    },
    PlainText {
        table: "mail_outbox",
        columns: &["next_at", "created_at", "sent_at"],
        why: TIMES,
    },
    PlainText {
        table: "news_item",
        columns: &["title", "summary", "body", "image_alt"],
        why: "news written to be published on the public site, reviewed by a second editor before it is",
    },
    PlainText {
        table: "news_item",
        columns: &["topic", "province", "state", "image_type"],
        why: CODES,
    },
    PlainText {
        table: "news_item",
        columns: &["publish_at", "withdraw_at", "created_at", "updated_at"],
        why: TIMES,
    },
    PlainText {
        table: "mail_outbox",
        columns: &["html", "list_unsubscribe"],
        why: "the newsletter's public text and its unsubscribe address (an id and a keyed tag)",
    },
    PlainText {
        table: "news_material",
        columns: &["title", "description", "file_name", "content_type"],
        why: "information materials written to be published, reviewed by a second editor",
    },
    PlainText {
        table: "news_material",
        columns: &["language", "audience", "topic", "state"],
        why: CODES,
    },
    PlainText {
        table: "news_material",
        columns: &["published_at", "created_at", "updated_at"],
        why: TIMES,
    },
    PlainText {
        table: "newsletter_subscriber",
        columns: &["address_index", "confirm_hash"],
        why: KEYS,
    },
    PlainText {
        table: "newsletter_subscriber",
        columns: &["lang", "state"],
        why: CODES,
    },
    PlainText {
        table: "newsletter_subscriber",
        columns: &["consent_text"],
        why: "the wording of the consent the page showed, the same for everyone",
    },
    PlainText {
        table: "newsletter_subscriber",
        columns: &["consent_at", "confirm_until", "confirmed_at"],
        why: TIMES,
    },
    PlainText {
        table: "newsletter_issue",
        columns: &["month", "state"],
        why: CODES,
    },
    PlainText {
        table: "newsletter_issue",
        columns: &["introduction"],
        why: "the issue's public introduction, written by an editor to be sent to subscribers",
    },
    PlainText {
        table: "newsletter_issue",
        columns: &["assembled_at", "sent_at"],
        why: TIMES,
    },
    PlainText {
        table: "person_link",
        columns: &["decision", "state"],
        why: CODES,
    },
    PlainText {
        table: "person_link",
        columns: &["decided_at", "undone_at"],
        why: TIMES,
    },
    PlainText {
        table: "person_linkage",
        columns: &["secret_tag"],
        why: "the first 16 hex digits of a hash of the linkage secret: names which secret made a key, reveals nothing of it",
    },
    PlainText {
        table: "person_linkage",
        columns: &["updated_at"],
        why: TIMES,
    },
    PlainText {
        table: "webhook_subscription",
        columns: &["url"],
        why: "an organisation's integration endpoint, typed by its administrator: names no person",
    },
    PlainText {
        table: "webhook_subscription",
        columns: &["events"],
        why: CODES,
    },
    PlainText {
        table: "webhook_subscription",
        columns: &["created_at"],
        why: TIMES,
    },
    PlainText {
        table: "webhook_delivery",
        columns: &["event_id"],
        why: KEYS,
    },
    PlainText {
        table: "webhook_delivery",
        columns: &["event_type", "record_type", "state", "last_error"],
        why: "event types, delivery states and failure classes (codes, never the receiver's words)",
    },
    PlainText {
        table: "webhook_delivery",
        columns: &["body"],
        why: "the payload: an event id, types, record ids and a time (platform::webhooks::payload)",
    },
    PlainText {
        table: "webhook_delivery",
        columns: &["occurred_at", "next_at", "created_at", "delivered_at"],
        why: TIMES,
    },
    PlainText {
        table: "stats_day",
        columns: &["span", "figure", "k1", "k2", "k3"],
        why: "counts of records by codes (forms, provinces, sectors, tally values; for protection also gender, nationality, birth year, summed over people): no record's own data",
    },
    PlainText {
        table: "stats_several",
        columns: &["figure"],
        why: "the name of a report figure, beside the pseudonymous id of a person it counts more than once",
    },
    PlainText {
        table: "stats_day",
        columns: &["day"],
        why: TIMES,
    },
    PlainText {
        table: "reminder_mark",
        columns: &["item_key"],
        why: "a due item's kind, its record's page (ids only) and its day",
    },
    PlainText {
        table: "reminder_mark",
        columns: &["state"],
        why: CODES,
    },
    PlainText {
        table: "reminder_mark",
        columns: &["until", "at"],
        why: TIMES,
    },
    PlainText {
        table: "throttle_count",
        columns: &["scope"],
        why: CODES,
    },
    PlainText {
        table: "throttle_count",
        columns: &["key"],
        why: KEYS,
    },
    PlainText {
        table: "throttle_count",
        columns: &["last_at"],
        why: TIMES,
    },
    PlainText {
        table: "job_lease",
        columns: &["name", "holder"],
        why: "a background job's name and the random id of the instance running it",
    },
    PlainText {
        table: "job_lease",
        columns: &["until"],
        why: TIMES,
    },
    PlainText {
        table: "accompaniment",
        columns: &["happened_on", "created_at"],
        why: TIMES,
    },
    PlainText {
        table: "accompaniment",
        columns: &["service_kind", "outcome", "source"],
        why: CODES,
    },
    PlainText {
        table: "accompaniment",
        columns: &["idempotency_key"],
        why: KEYS,
    },
    PlainText {
        table: "api_idempotency",
        columns: &["idem_key", "fingerprint"],
        why: KEYS,
    },
    PlainText {
        table: "api_idempotency",
        columns: &["created_at"],
        why: TIMES,
    },
    PlainText {
        table: "api_idempotency",
        columns: &["location", "body"],
        why: "the stored answer of a create: ids, codes and the anonymous code, never identity \
              (API answers carry no identity field)",
    },
    PlainText {
        table: "api_token",
        columns: &["lookup", "token_hash"],
        why: KEYS,
    },
    PlainText {
        table: "api_token",
        columns: &["created_at", "revoked_at", "last_used_at", "expires_at"],
        why: TIMES,
    },
    PlainText {
        table: "api_token",
        columns: &["name", "scopes"],
        why: "what an administrator named the token for, and its scope codes",
    },
    PlainText {
        table: "app_user",
        columns: &["username", "locale"],
        why: "staff sign-in names (the display name is sealed) and the language code",
    },
    PlainText {
        table: "app_user",
        columns: &["password_hash"],
        why: KEYS,
    },
    PlainText {
        table: "app_user",
        columns: &["created_at", "password_changed_at"],
        why: TIMES,
    },
    PlainText {
        table: "audit_event",
        columns: &[
            "actor_username",
            "action",
            "record_kind",
            "record_id",
            "subject",
            "reason",
            "outcome",
        ],
        why: "who (staff sign-in name) did what to which record about which pseudonymous code; \
              reasons are codes or break-glass reasons already bounded by the policy",
    },
    PlainText {
        table: "audit_event",
        columns: &["at"],
        why: TIMES,
    },
    PlainText {
        table: "audit_event",
        columns: &["prev_hash", "hash"],
        why: KEYS,
    },
    PlainText {
        table: "audit_head",
        columns: &["hash"],
        why: KEYS,
    },
    PlainText {
        table: "break_glass",
        columns: &["record_kind", "record_id"],
        why: CODES,
    },
    PlainText {
        table: "break_glass",
        columns: &["started_at", "expires_at", "reviewed_at"],
        why: TIMES,
    },
    PlainText {
        table: "case_event",
        columns: &["kind"],
        why: CODES,
    },
    PlainText {
        table: "case_event",
        columns: &["happened_on"],
        why: TIMES,
    },
    PlainText {
        table: "case_file",
        columns: &[
            "phase",
            "closure_reason",
            "trafficking_status",
            "exploitation_forms",
            "labour_sector",
            "means_of_control",
            "recruitment",
            "transit_countries",
            "legal_path",
        ],
        why: CODES,
    },
    PlainText {
        table: "case_file",
        columns: &["route", "places"],
        why: "always empty: sealed in route_enc and places_enc",
    },
    PlainText {
        table: "case_file",
        columns: &[
            "opened_at",
            "closed_at",
            "follow_up_due",
            "last_activity_at",
        ],
        why: TIMES,
    },
    PlainText {
        table: "case_phase",
        columns: &["from_phase", "to_phase", "reason"],
        why: CODES,
    },
    PlainText {
        table: "case_phase",
        columns: &["at", "effective_on"],
        why: TIMES,
    },
    PlainText {
        table: "case_share",
        columns: &["since"],
        why: TIMES,
    },
    PlainText {
        table: "consent",
        columns: &["purpose"],
        why: CODES,
    },
    PlainText {
        table: "consent",
        columns: &["given_on", "expires_on", "withdrawn_on"],
        why: TIMES,
    },
    PlainText {
        table: "drop_in_interview",
        columns: &["held_on", "created_at"],
        why: TIMES,
    },
    PlainText {
        table: "drop_in_interview",
        columns: &["language", "topics", "outcome"],
        why: CODES,
    },
    PlainText {
        table: "drop_in_interview",
        columns: &["mediator"],
        why: "the staff mediator's name, not the person met",
    },
    PlainText {
        table: "drop_in_interview",
        columns: &["idempotency_key"],
        why: KEYS,
    },
    PlainText {
        table: "emergency_activation",
        columns: &["started_at", "closed_at"],
        why: TIMES,
    },
    PlainText {
        table: "emergency_activation",
        columns: &["steps"],
        why: "procedure step codes with their times",
    },
    PlainText {
        table: "governance_role",
        columns: &["kind", "province"],
        why: CODES,
    },
    PlainText {
        table: "governance_role",
        columns: &["since", "until"],
        why: TIMES,
    },
    PlainText {
        table: "historical_record",
        columns: &[
            "row_key",
            "batch",
            "source",
            "datasource",
            "gender",
            "age_broad",
            "majority",
            "majority_at_exploit",
            "majority_entry",
            "citizenship",
            "country_of_exploitation",
            "forms",
            "forms_no",
            "labour_types",
            "sex_types",
            "means_of_control",
            "recruiter_relations",
        ],
        why: "imported CTDC/HTCDS aggregates-grade codes; row keys are hashes",
    },
    PlainText {
        table: "historical_record",
        columns: &["imported_at"],
        why: TIMES,
    },
    PlainText {
        table: "hotline_contact",
        columns: &[
            "channel",
            "caller_kind",
            "language",
            "relevance",
            "reasons",
            "exploitation_forms",
            "labour_sector",
            "province",
            "outcomes",
        ],
        why: CODES,
    },
    PlainText {
        table: "hotline_contact",
        columns: &["municipality"],
        why: "a municipality's name, chosen from the ISTAT list",
    },
    PlainText {
        table: "hotline_contact",
        columns: &["caller_ref", "phone_index"],
        why: "pseudonymous caller reference and the blind index of the number (the number is never stored)",
    },
    PlainText {
        table: "hotline_contact",
        columns: &["started_at"],
        why: TIMES,
    },
    PlainText {
        table: "identification_interview",
        columns: &["requester", "indicators"],
        why: CODES,
    },
    PlainText {
        table: "identification_interview",
        columns: &["person_code"],
        why: "the person's pseudonymous code",
    },
    PlainText {
        table: "identification_interview",
        columns: &["mediator"],
        why: "the staff mediator's name",
    },
    PlainText {
        table: "identification_interview",
        columns: &["scheduled_on", "report_sent_on", "created_at"],
        why: TIMES,
    },
    PlainText {
        table: "instance_setting",
        columns: &["key", "value"],
        why: "instance settings (mode, versions)",
    },
    PlainText {
        table: "instance_setting",
        columns: &["updated_at"],
        why: TIMES,
    },
    PlainText {
        table: "mediator_request",
        columns: &["language", "requester", "status"],
        why: CODES,
    },
    PlainText {
        table: "mediator_request",
        columns: &["mediator"],
        why: "the staff mediator's name",
    },
    PlainText {
        table: "mediator_request",
        columns: &["needed_at", "created_at"],
        why: TIMES,
    },
    PlainText {
        table: "membership",
        columns: &["role"],
        why: CODES,
    },
    PlainText {
        table: "membership",
        columns: &["granted_at"],
        why: TIMES,
    },
    PlainText {
        table: "network_meeting",
        columns: &["province", "agenda", "minutes", "decisions"],
        why: "the network's governance meetings: public-sector minutes about services, never about people",
    },
    PlainText {
        table: "network_meeting",
        columns: &["held_on"],
        why: TIMES,
    },
    PlainText {
        table: "network_service",
        columns: &["kind", "name", "province", "hours", "languages"],
        why: "the public registry of services (secret addresses are sealed)",
    },
    PlainText {
        table: "organisation",
        columns: &["name", "kind", "province", "register_number"],
        why: "the public registry of organisations",
    },
    PlainText {
        table: "organisation",
        columns: &["created_at"],
        why: TIMES,
    },
    PlainText {
        table: "outing",
        columns: &["started_at", "ended_at", "created_at"],
        why: TIMES,
    },
    PlainText {
        table: "outing",
        columns: &["area", "places", "team", "mediators", "languages"],
        why: "where a street unit went (area, ids of listed public places) and which staff: no person met is named (notes are sealed)",
    },
    PlainText {
        table: "outing",
        columns: &["idempotency_key"],
        why: KEYS,
    },
    PlainText {
        table: "outing_count",
        columns: &["dimension", "value"],
        why: CODES,
    },
    PlainText {
        table: "outing_count",
        columns: &["started_at"],
        why: TIMES,
    },
    PlainText {
        table: "outreach_contact",
        columns: &["code"],
        why: "the anonymous code a street unit gives a person",
    },
    PlainText {
        table: "outreach_contact",
        columns: &["created_at", "linked_at"],
        why: TIMES,
    },
    PlainText {
        table: "outreach_place",
        columns: &["name"],
        why: "public places a unit visits (streets, areas)",
    },
    PlainText {
        table: "permit",
        columns: &["kind", "status"],
        why: CODES,
    },
    PlainText {
        table: "permit",
        columns: &["applied_on", "issued_on", "expires_on"],
        why: TIMES,
    },
    PlainText {
        table: "permit",
        columns: &["office"],
        why: "always empty: sealed in office_enc",
    },
    PlainText {
        table: "permit_change",
        columns: &["status"],
        why: CODES,
    },
    PlainText {
        table: "permit_change",
        columns: &["decided_on", "expires_on", "at"],
        why: TIMES,
    },
    PlainText {
        table: "person_change",
        columns: &["fields"],
        why: "the names of the fields corrected, never their values (sealed in previous_enc)",
    },
    PlainText {
        table: "person_change",
        columns: &["at"],
        why: TIMES,
    },
    PlainText {
        table: "person",
        columns: &["code"],
        why: "the pseudonymous code",
    },
    PlainText {
        table: "person",
        columns: &["gender", "nationalities", "languages"],
        why: "codes (the identity is sealed apart)",
    },
    PlainText {
        table: "person",
        columns: &["vulnerabilities"],
        why: "always empty: sealed in vulnerabilities_enc",
    },
    PlainText {
        table: "person",
        columns: &["created_at", "identity_erased_at"],
        why: TIMES,
    },
    PlainText {
        table: "person_identity",
        columns: &["name_index", "phone_index", "document_index"],
        why: KEYS,
    },
    PlainText {
        table: "placement",
        columns: &["bed_kind"],
        why: CODES,
    },
    PlainText {
        table: "placement",
        columns: &["since", "until"],
        why: TIMES,
    },
    PlainText {
        table: "project",
        columns: &["status"],
        why: CODES,
    },
    PlainText {
        table: "project",
        columns: &["objectives", "decision_reason"],
        why: "always empty: sealed in objectives_enc and decision_reason_enc",
    },
    PlainText {
        table: "project_transition",
        columns: &["reason"],
        why: "always empty: sealed in reason_enc",
    },
    PlainText {
        table: "referral",
        columns: &["refusal_reason"],
        why: "always empty: sealed in refusal_reason_enc",
    },
    PlainText {
        table: "referral_event",
        columns: &["note"],
        why: "always empty: sealed in note_enc",
    },
    PlainText {
        table: "emergency_activation",
        columns: &["danger"],
        why: "always empty: sealed in danger_enc",
    },
    PlainText {
        table: "mediator_request",
        columns: &["place", "outcome"],
        why: "always empty: sealed in place_enc and outcome_enc",
    },
    PlainText {
        table: "identification_interview",
        columns: &["outcome"],
        why: "always empty: sealed in outcome_enc",
    },
    PlainText {
        table: "break_glass",
        columns: &["reason", "review_note"],
        why: "always empty: sealed in reason_enc and review_note_enc",
    },
    PlainText {
        table: "project",
        columns: &["social_worker"],
        why: "the staff social worker's name",
    },
    PlainText {
        table: "project",
        columns: &["created_at"],
        why: TIMES,
    },
    PlainText {
        table: "project_edition",
        columns: &["name"],
        why: "the call's name",
    },
    PlainText {
        table: "project_edition",
        columns: &["starts_on", "ends_on"],
        why: TIMES,
    },
    PlainText {
        table: "project_expense",
        columns: &["spent_on"],
        why: TIMES,
    },
    PlainText {
        table: "project_expense",
        columns: &["document"],
        why: "an invoice or receipt number",
    },
    PlainText {
        table: "project_intervention",
        columns: &["kind"],
        why: CODES,
    },
    PlainText {
        table: "project_intervention",
        columns: &["provider"],
        why: "the providing organisation or firm",
    },
    PlainText {
        table: "project_transition",
        columns: &["from_status", "to_status"],
        why: CODES,
    },
    PlainText {
        table: "project_transition",
        columns: &["at"],
        why: TIMES,
    },
    PlainText {
        table: "public_report",
        columns: &[
            "language", "province", "urgency", "minors", "kinds", "status",
        ],
        why: CODES,
    },
    PlainText {
        table: "public_report",
        columns: &["received_on", "triaged_at"],
        why: TIMES,
    },
    PlainText {
        table: "public_report",
        columns: &["receipt_lookup", "receipt_hash", "submission_hash"],
        why: KEYS,
    },
    PlainText {
        table: "recovery_code",
        columns: &["code_hash"],
        why: KEYS,
    },
    PlainText {
        table: "recovery_code",
        columns: &["used_at"],
        why: TIMES,
    },
    PlainText {
        table: "referral",
        columns: &[
            "direction",
            "counterpart_kind",
            "status",
            "reason",
            "needed_service",
            "urgency",
        ],
        why: CODES,
    },
    PlainText {
        table: "referral",
        columns: &["consent_on", "created_at", "updated_at"],
        why: TIMES,
    },
    PlainText {
        table: "referral_counterpart",
        columns: &["name", "region", "contact"],
        why: "the directory of other regions' projects: an office's name and desk contact",
    },
    PlainText {
        table: "referral_event",
        columns: &["status"],
        why: CODES,
    },
    PlainText {
        table: "referral_event",
        columns: &["at"],
        why: TIMES,
    },
    PlainText {
        table: "report_message",
        columns: &["at"],
        why: TIMES,
    },
    PlainText {
        table: "service_beds",
        columns: &["bed_kind"],
        why: CODES,
    },
    PlainText {
        table: "shift_note",
        columns: &["written_at"],
        why: TIMES,
    },
    PlainText {
        table: "training_event",
        columns: &["title", "place", "organisations"],
        why: "the network's public training events",
    },
    PlainText {
        table: "training_event",
        columns: &["held_on"],
        why: TIMES,
    },
    PlainText {
        table: "user_session",
        columns: &["id", "csrf_token"],
        why: KEYS,
    },
    PlainText {
        table: "user_session",
        columns: &["created_at", "last_seen_at"],
        why: TIMES,
    },
    PlainText {
        table: "seaql_migrations",
        columns: &["version"],
        why: "migration names",
    },
];

/// Whether a text column is accounted for: sealed, or declared plain with a reason.
pub fn text_column_declared(sealed: &[EncryptedColumn], table: &str, column: &str) -> bool {
    sealed
        .iter()
        .any(|c| c.table == table && c.column == column)
        || PLAIN_TEXT
            .iter()
            .any(|p| p.table == table && p.columns.contains(&column))
}

/// Seals free text that an older version left in clear and empties the plain column, in one
/// transaction; run at every start (nothing to do once done). Returns how many values.
pub async fn seal_legacy_text<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    keys: &KeyRing,
    legacy: &[LegacyPlain],
) -> Result<u64, RotateError> {
    let txn = db.begin().await?;
    let mut n = 0u64;
    for &LegacyPlain {
        table,
        plain,
        sealed,
        context: ctx,
    } in legacy
    {
        let select = Query::select()
            .column(Alias::new("id"))
            .column(Alias::new(plain))
            .from(Alias::new(table))
            .and_where(Expr::col(Alias::new(plain)).ne(""))
            .to_owned();
        for row in txn.query_all(&select).await? {
            let id: i32 = row.try_get_by_index(0)?;
            let text: String = row.try_get_by_index(1)?;
            let value =
                keys.encrypt_str(ctx, text.trim())
                    .map_err(|source| RotateError::Value {
                        table,
                        column: sealed,
                        id: i64::from(id),
                        source,
                    })?;
            let update = Query::update()
                .table(Alias::new(table))
                .value(Alias::new(sealed), value)
                .value(Alias::new(plain), "")
                .and_where(Expr::col(Alias::new("id")).eq(id))
                .to_owned();
            txn.execute(&update).await?;
            n += 1;
        }
    }
    txn.commit().await?;
    Ok(n)
}
