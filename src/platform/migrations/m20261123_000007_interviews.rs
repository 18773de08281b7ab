//! Identification interviews the hotline runs at the request of a Territorial Commission or a CAS.

use sea_orm_migration::prelude::*;

use super::{id, pk};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000007_interviews"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = |n: &'static str| ColumnDef::new(id(n));
        m.create_table(
            Table::create()
                .table(id("identification_interview"))
                .col(pk())
                .col(c("organisation_id").integer().not_null())
                .col(c("requester").string_len(40).not_null())
                .col(c("person_code").string_len(40).not_null())
                .col(c("scheduled_on").date().not_null())
                .col(c("mediator").string_len(200).not_null())
                .col(c("consent").boolean().not_null())
                .col(c("indicators").text().not_null())
                .col(c("outcome").text().not_null())
                .col(c("report_sent_on").date().null())
                .col(c("created_at").timestamp_with_time_zone().not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(id("identification_interview"))
                .to_owned(),
        )
        .await
    }
}
