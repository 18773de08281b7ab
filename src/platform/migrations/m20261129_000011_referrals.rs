//! Referrals (messe in rete) between the Tuscan network, the national hotline and other
//! regions' projects, with their dated history; the directory of other regions' projects.

use sea_orm_migration::prelude::*;

use super::{id, pk, ts};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000011_referrals"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = |n: &'static str| ColumnDef::new(id(n));
        m.create_table(
            Table::create()
                .table(id("referral_counterpart"))
                .col(pk())
                .col(c("name").string_len(200).not_null())
                .col(c("region").string_len(60).not_null())
                .col(c("contact").string_len(300).not_null())
                .col(c("active").boolean().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("referral"))
                .col(pk())
                .col(c("direction").string_len(10).not_null())
                .col(c("counterpart_kind").string_len(20).not_null())
                .col(c("counterpart_id").integer().null())
                .col(c("sender_org").integer().null())
                .col(c("receiver_org").integer().null())
                .col(c("recorded_by_org").integer().not_null())
                .col(c("case_id").integer().null())
                .col(c("opened_case_id").integer().null())
                .col(c("status").string_len(12).not_null())
                .col(c("reason").string_len(20).not_null())
                .col(c("needed_service").string_len(40).not_null())
                .col(c("urgency").string_len(12).not_null())
                .col(c("consent_id").integer().null())
                .col(c("consent_on").date().not_null())
                .col(c("package_enc").blob().not_null())
                .col(c("refusal_reason").text().null())
                .col(c("created_by").integer().not_null())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .col(c("version").integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("referral_event"))
                .col(pk())
                .col(c("referral_id").integer().not_null())
                .col(c("status").string_len(12).not_null())
                .col(ts("at"))
                .col(c("by_user").integer().not_null())
                .col(c("by_org").integer().not_null())
                .col(c("note").text().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_referral_event_referral")
                .table(id("referral_event"))
                .col(id("referral_id"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["referral_event", "referral", "referral_counterpart"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
