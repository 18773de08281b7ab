//! Notifications by e-mail (issue 25): each person's choice (`notify_pref`: the address,
//! sealed, and off / daily digest / as soon as something new is due) and the outbox every
//! message goes through (`mail_outbox`): written once per dedupe key, delivered with retries,
//! never sent twice under the same key. Messages carry counts and a link, never a record.

use sea_orm_migration::prelude::*;

use super::{id, pk, ts, ts_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000029_mail"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("notify_pref"))
                .col(
                    ColumnDef::new(id("user_id"))
                        .integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(id("email_enc")).blob().null())
                // `off`, `daily`, `immediate`.
                .col(ColumnDef::new(id("mode")).string_len(16).not_null())
                .col(ts("updated_at"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("mail_outbox"))
                .col(pk())
                .col(ColumnDef::new(id("user_id")).integer().not_null())
                // What the message is, once: `digest:<user>:<day>`, `now:<user>:<…>`.
                .col(ColumnDef::new(id("dedupe_key")).string_len(160).not_null())
                .col(ColumnDef::new(id("to_enc")).blob().not_null())
                .col(ColumnDef::new(id("subject")).string_len(200).not_null())
                .col(ColumnDef::new(id("body")).text().not_null())
                // How many items it announced (the next immediate message needs more).
                .col(ColumnDef::new(id("items")).integer().not_null())
                // `pending`, `sent`, `failed` (given up: shown to administrators).
                .col(ColumnDef::new(id("state")).string_len(16).not_null())
                .col(ColumnDef::new(id("attempts")).integer().not_null())
                .col(ts("next_at"))
                .col(ColumnDef::new(id("last_error")).string_len(120).null())
                .col(ts("created_at"))
                .col(ts_null("sent_at"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_mail_outbox_dedupe")
                .table(id("mail_outbox"))
                .col(id("dedupe_key"))
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_mail_outbox_state_next")
                .table(id("mail_outbox"))
                .col(id("state"))
                .col(id("next_at"))
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("mail_outbox")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(id("notify_pref")).to_owned())
            .await
    }
}
