//! Historical records imported from CTDC-layout or HTCDS CSV files: pseudonymous by design
//! (no name, no date of birth, no place finer than a country), counted by the statistics.

use sea_orm_migration::prelude::*;

use super::{id, pk, ts};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000012_exchange"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = |n: &'static str| ColumnDef::new(id(n));
        m.create_table(
            Table::create()
                .table(id("historical_record"))
                .col(pk())
                .col(c("row_key").string_len(64).not_null().unique_key())
                .col(c("batch").string_len(40).not_null())
                .col(c("source").string_len(120).not_null())
                .col(c("datasource").string_len(60).not_null())
                .col(c("year").integer().not_null())
                .col(c("gender").string_len(20).not_null())
                .col(c("age_broad").string_len(12).not_null())
                .col(c("majority").string_len(8).not_null())
                .col(c("majority_at_exploit").string_len(8).not_null())
                .col(c("majority_entry").string_len(8).not_null())
                .col(c("citizenship").string_len(2).not_null())
                .col(c("country_of_exploitation").string_len(2).not_null())
                .col(c("forms").string_len(200).not_null())
                .col(c("labour_types").string_len(300).not_null())
                .col(c("sex_types").string_len(200).not_null())
                .col(c("means_of_control").string_len(600).not_null())
                .col(c("recruiter_relations").string_len(200).not_null())
                .col(c("abduction").boolean().null())
                .col(ts("imported_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_historical_year")
                .table(id("historical_record"))
                .col(id("year"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("historical_record")).to_owned())
            .await
    }
}
