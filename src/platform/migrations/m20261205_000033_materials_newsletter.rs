//! Information materials and the monthly newsletter (issue 27).
//!
//! `news_material`: leaflets and cards (a PDF, or an image written again without its metadata)
//! per language and audience, through the same publishing steps as news. Public by design.
//!
//! `newsletter_subscriber`: an address (sealed; found again by its blind index), its language,
//! where its double opt-in stands and the consent given (wording and time). Unsubscribing
//! deletes the row. `newsletter_issue`: one per month, assembled from that month's published
//! news and events, reviewed and sent by an editor.
//!
//! `mail_outbox` gains an HTML part and the `List-Unsubscribe` address (RFC 8058) for the
//! newsletter's messages; notifications keep them empty.

use sea_orm_migration::prelude::*;

use super::{id, pk, ts, ts_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000033_materials_newsletter"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("news_material"))
                .col(pk())
                .col(ColumnDef::new(id("title")).string_len(200).not_null())
                .col(ColumnDef::new(id("description")).string_len(400).not_null())
                // One of the public languages (reports::lang).
                .col(ColumnDef::new(id("language")).string_len(8).not_null())
                // `victims`, `citizens`, `operators`, `employers`.
                .col(ColumnDef::new(id("audience")).string_len(16).not_null())
                .col(ColumnDef::new(id("topic")).string_len(32).not_null())
                .col(ColumnDef::new(id("file_name")).string_len(120).not_null())
                .col(ColumnDef::new(id("content_type")).string_len(40).not_null())
                .col(ColumnDef::new(id("size")).big_integer().not_null())
                .col(ColumnDef::new(id("file")).blob().not_null())
                .col(ColumnDef::new(id("state")).string_len(16).not_null())
                .col(ts_null("published_at"))
                .col(ColumnDef::new(id("author_id")).integer().not_null())
                .col(ColumnDef::new(id("reviewer_id")).integer().null())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .col(ColumnDef::new(id("version")).integer().not_null())
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("newsletter_subscriber"))
                .col(pk())
                .col(ColumnDef::new(id("address_enc")).blob().not_null())
                .col(
                    ColumnDef::new(id("address_index"))
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(id("lang")).string_len(8).not_null())
                // `pending` (waiting for its confirmation) or `confirmed`.
                .col(ColumnDef::new(id("state")).string_len(16).not_null())
                .col(ColumnDef::new(id("consent_text")).text().not_null())
                .col(ts("consent_at"))
                .col(ColumnDef::new(id("confirm_hash")).string_len(64).not_null())
                .col(ts("confirm_until"))
                .col(ts_null("confirmed_at"))
                .col(
                    ColumnDef::new(id("sent_confirmations"))
                        .integer()
                        .not_null(),
                )
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_newsletter_subscriber_address")
                .table(id("newsletter_subscriber"))
                .col(id("address_index"))
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("newsletter_issue"))
                .col(pk())
                // `YYYY-MM`: one issue a month.
                .col(ColumnDef::new(id("month")).string_len(7).not_null())
                .col(ColumnDef::new(id("introduction")).text().not_null())
                // `draft` or `sent`.
                .col(ColumnDef::new(id("state")).string_len(16).not_null())
                .col(ts("assembled_at"))
                .col(ColumnDef::new(id("sent_by")).integer().null())
                .col(ts_null("sent_at"))
                .col(ColumnDef::new(id("recipients")).integer().not_null())
                .col(ColumnDef::new(id("version")).integer().not_null())
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_newsletter_issue_month")
                .table(id("newsletter_issue"))
                .col(id("month"))
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(id("mail_outbox"))
                .add_column(ColumnDef::new(id("html")).text().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(id("mail_outbox"))
                .add_column(
                    ColumnDef::new(id("list_unsubscribe"))
                        .string_len(400)
                        .null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["newsletter_issue", "newsletter_subscriber", "news_material"] {
            m.drop_table(Table::drop().table(id(t)).to_owned()).await?;
        }
        Ok(())
    }
}
