//! Security review (issue 18):
//! - the audit chain's hashes are keyed (`k1:` + 64 hex digits), so the hash columns widen;
//! - API tokens expire;
//! - free text that workers fill with names, places and health facts is sealed like the
//!   identity fields: new `*_enc` columns; the application seals what the old columns hold at
//!   its next start (`cases::store::seal_legacy_text`), since migrations have no keys.

use sea_orm_migration::prelude::*;

use super::{id, ts_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000016_security"
    }
}

/// The (table, new sealed column) pairs added here.
const SEALED: &[(&str, &str)] = &[
    ("person", "vulnerabilities_enc"),
    ("case_file", "route_enc"),
    ("case_file", "places_enc"),
    ("permit", "office_enc"),
    ("project", "objectives_enc"),
    ("project", "decision_reason_enc"),
    ("project_transition", "reason_enc"),
    ("referral", "refusal_reason_enc"),
    ("referral_event", "note_enc"),
    ("emergency_activation", "danger_enc"),
    ("mediator_request", "place_enc"),
    ("mediator_request", "outcome_enc"),
    ("identification_interview", "outcome_enc"),
    ("break_glass", "reason_enc"),
    ("break_glass", "review_note_enc"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            // SQLite does not enforce lengths; PostgreSQL does.
            for (table, column) in [
                ("audit_event", "prev_hash"),
                ("audit_event", "hash"),
                ("audit_head", "hash"),
            ] {
                m.alter_table(
                    Table::alter()
                        .table(id(table))
                        .modify_column(ColumnDef::new(id(column)).string_len(80).not_null())
                        .to_owned(),
                )
                .await?;
            }
        }
        m.alter_table(
            Table::alter()
                .table(id("api_token"))
                .add_column(ts_null("expires_at"))
                .to_owned(),
        )
        .await?;
        for (table, column) in SEALED {
            m.alter_table(
                Table::alter()
                    .table(id(table))
                    .add_column(ColumnDef::new(id(column)).blob().null().to_owned())
                    .to_owned(),
            )
            .await?;
        }
        // Flags are three-valued: the forms a historical record says "no" to, apart from
        // those it says nothing about (issue 19). Records imported before: none known.
        m.alter_table(
            Table::alter()
                .table(id("historical_record"))
                .add_column(
                    ColumnDef::new(id("forms_no"))
                        .text()
                        .not_null()
                        .default("")
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(id("historical_record"))
                .drop_column(id("forms_no"))
                .to_owned(),
        )
        .await?;
        for (table, column) in SEALED {
            m.alter_table(
                Table::alter()
                    .table(id(table))
                    .drop_column(id(column))
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(id("api_token"))
                .drop_column(id("expires_at"))
                .to_owned(),
        )
        .await
    }
}
