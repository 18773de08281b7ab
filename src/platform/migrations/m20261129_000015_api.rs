//! The JSON API (`/api/v1`): a token acts as one staff account in one organisation, so the
//! policy module decides with that account's roles exactly as it does for pages. Tokens made
//! before this migration have no account and are refused by the API until replaced.
//! Creating requests may carry an `Idempotency-Key`: the first answer is kept, per token and
//! key, and given again when the request is resent.

use sea_orm_migration::prelude::*;

use super::{id, pk, ts};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000015_api"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(id("api_token"))
                .add_column(ColumnDef::new(id("user_id")).integer().null().to_owned())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("api_idempotency"))
                .col(pk())
                .col(ColumnDef::new(id("token_id")).integer().not_null())
                .col(ColumnDef::new(id("idem_key")).string_len(100).not_null())
                // What the key was used for (method and route), so a key reused for another
                // request is refused instead of answered with the wrong record.
                .col(ColumnDef::new(id("fingerprint")).string_len(64).not_null())
                .col(ColumnDef::new(id("status")).integer().not_null())
                .col(ColumnDef::new(id("location")).string_len(200).null())
                .col(ColumnDef::new(id("body")).text().not_null())
                .col(ts("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_api_idempotency")
                .table(id("api_idempotency"))
                .col(id("token_id"))
                .col(id("idem_key"))
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("api_idempotency")).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(id("api_token"))
                .drop_column(id("user_id"))
                .to_owned(),
        )
        .await
    }
}
