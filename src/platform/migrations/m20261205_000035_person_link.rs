//! Reviewed links between person records of different bodies (issue 26): "link, don't merge".
//! A reviewer entitled to see both records decides that they are the same person or two
//! people; the statistics follow the decision instead of the similarity threshold. Nothing is
//! merged: both records stay as their bodies wrote them, and a decision can be undone.

use sea_orm_migration::prelude::*;

use super::{id, pk, ts, ts_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000035_person_link"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("person_link"))
                .col(pk())
                // The pair, the smaller person id first; the cases the reviewer saw them in.
                .col(ColumnDef::new(id("person_a")).integer().not_null())
                .col(ColumnDef::new(id("person_b")).integer().not_null())
                .col(ColumnDef::new(id("case_a")).integer().not_null())
                .col(ColumnDef::new(id("case_b")).integer().not_null())
                // `same` or `different`.
                .col(ColumnDef::new(id("decision")).string_len(16).not_null())
                // `active` or `undone`.
                .col(ColumnDef::new(id("state")).string_len(16).not_null())
                // The keys' similarity when decided, in thousandths.
                .col(ColumnDef::new(id("similarity")).integer().not_null())
                .col(ColumnDef::new(id("decided_by")).integer().not_null())
                .col(ts("decided_at"))
                .col(ColumnDef::new(id("undone_by")).integer().null())
                .col(ts_null("undone_at"))
                .col(ColumnDef::new(id("version")).integer().not_null())
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_person_link_pair")
                .table(id("person_link"))
                .col(id("person_a"))
                .col(id("person_b"))
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("person_link")).to_owned())
            .await
    }
}
