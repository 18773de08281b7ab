//! The to-do inbox (issue 25): what a person did with a due item — done, snoozed until a day
//! (with a reason), handed over to a colleague of the same organisation. One row per item and
//! organisation holds its latest state; every step is also in the audit trail.

use sea_orm_migration::prelude::*;

use super::{id, pk, ts};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000027_reminder_marks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("reminder_mark"))
                .col(pk())
                .col(ColumnDef::new(id("organisation_id")).integer().not_null())
                // The due item: its kind, its record's page and its day (ids and dates only).
                .col(ColumnDef::new(id("item_key")).string_len(160).not_null())
                // `done`, `snoozed`, `handed_over`.
                .col(ColumnDef::new(id("state")).string_len(16).not_null())
                .col(ColumnDef::new(id("until")).date().null())
                .col(ColumnDef::new(id("reason_enc")).blob().null())
                .col(ColumnDef::new(id("assignee_id")).integer().null())
                .col(ColumnDef::new(id("by_user_id")).integer().not_null())
                .col(ts("at"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_reminder_mark_item")
                .table(id("reminder_mark"))
                .col(id("organisation_id"))
                .col(id("item_key"))
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("reminder_mark")).to_owned())
            .await
    }
}
