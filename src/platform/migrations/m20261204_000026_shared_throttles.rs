//! Throttles that hold across instances (issue 24): with several instances on one PostgreSQL,
//! the counters of sign-in, public form and receipt throttling live in `throttle_count`, and
//! the hourly secret that turns a client's address into an unlinkable key lives, sealed, in
//! `throttle_secret`. Rows are forgotten after an hour of quiet (counts) or two hours (secrets).

use sea_orm_migration::prelude::*;

use super::{id, ts};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000026_shared_throttles"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("throttle_count"))
                // Which throttle: `login`, `public`, `stamped`.
                .col(ColumnDef::new(id("scope")).string_len(16).not_null())
                // SHA-256 of the throttled key (an account or a client's hourly key): names no
                // one.
                .col(ColumnDef::new(id("key")).string_len(64).not_null())
                .col(ColumnDef::new(id("failures")).integer().not_null())
                .col(ts("last_at"))
                .primary_key(Index::create().col(id("scope")).col(id("key")))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_throttle_count_last_at")
                .table(id("throttle_count"))
                .col(id("last_at"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("throttle_secret"))
                // Hours since 1970 (UTC): the hour this secret keys clients in.
                .col(
                    ColumnDef::new(id("hour"))
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(id("key_enc")).blob().not_null())
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("throttle_secret")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(id("throttle_count")).to_owned())
            .await
    }
}
