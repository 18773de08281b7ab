//! Public reports (Segnala) and their two-way messages. No column can hold a client address or
//! user agent: there is nowhere to put one.

use sea_orm_migration::prelude::*;

use super::{id, pk};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000008_reports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = |n: &'static str| ColumnDef::new(id(n));
        m.create_table(
            Table::create()
                .table(id("public_report"))
                .col(pk())
                .col(c("received_on").date().not_null())
                .col(c("language").string_len(8).not_null())
                .col(c("province").string_len(2).null())
                .col(c("urgency").string_len(20).not_null())
                .col(c("people").integer().null())
                .col(c("minors").string_len(10).not_null())
                .col(c("kinds").text().not_null())
                .col(c("anonymous").boolean().not_null())
                .col(c("status").string_len(20).not_null())
                .col(c("triage_contact_id").integer().null())
                .col(c("duplicate_of").integer().null())
                .col(c("triaged_at").timestamp_with_time_zone().null())
                .col(c("receipt_lookup").string_len(8).not_null())
                .col(c("receipt_hash").string_len(200).not_null())
                .col(c("submission_hash").string_len(64).not_null().unique_key())
                .col(c("what_enc").blob().null())
                .col(c("place_enc").blob().null())
                .col(c("since_enc").blob().null())
                .col(c("gender_enc").blob().null())
                .col(c("contact_enc").blob().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_report_lookup")
                .table(id("public_report"))
                .col(id("receipt_lookup"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("report_message"))
                .col(pk())
                .col(c("report_id").integer().not_null())
                .col(c("from_reporter").boolean().not_null())
                .col(c("at").timestamp_with_time_zone().not_null())
                .col(c("text_enc").blob().null())
                .col(c("by_user").integer().null())
                .foreign_key(
                    ForeignKey::create()
                        .from(id("report_message"), id("report_id"))
                        .to(id("public_report"), id("id")),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("report_message")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(id("public_report")).to_owned())
            .await
    }
}
