//! Public news (issue 27): items written by the communication staff, reviewed by a second
//! editor, published (possibly at a scheduled time) and withdrawn (possibly scheduled too).
//! Everything here is written to be public: no personal data belongs in it.

use sea_orm_migration::prelude::*;

use super::{id, pk, ts, ts_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000032_news"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("news_item"))
                .col(pk())
                .col(ColumnDef::new(id("title")).string_len(200).not_null())
                .col(ColumnDef::new(id("summary")).string_len(400).not_null())
                .col(ColumnDef::new(id("body")).text().not_null())
                .col(ColumnDef::new(id("topic")).string_len(32).not_null())
                .col(ColumnDef::new(id("province")).string_len(2).null())
                // `draft`, `in_review`, `published`, `withdrawn` (news::rules).
                .col(ColumnDef::new(id("state")).string_len(16).not_null())
                .col(ts_null("publish_at"))
                .col(ts_null("withdraw_at"))
                .col(ColumnDef::new(id("author_id")).integer().not_null())
                .col(ColumnDef::new(id("reviewer_id")).integer().null())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .col(ColumnDef::new(id("version")).integer().not_null())
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_news_item_state_publish")
                .table(id("news_item"))
                .col(id("state"))
                .col(id("publish_at"))
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("news_item")).to_owned())
            .await
    }
}
