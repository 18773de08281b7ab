//! Individual projects, their interventions and expenses, and project editions.

use sea_orm_migration::prelude::*;

use super::{id, pk};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000009_projects"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = |n: &'static str| ColumnDef::new(id(n));
        m.create_table(
            Table::create()
                .table(id("project_edition"))
                .col(pk())
                .col(c("name").string_len(200).not_null().unique_key())
                .col(c("starts_on").date().not_null())
                .col(c("ends_on").date().not_null())
                .col(c("total_cents").big_integer().not_null())
                .col(c("cofunding_cents").big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("project"))
                .col(pk())
                .col(c("case_id").integer().not_null())
                .col(c("owner_org").integer().not_null())
                .col(c("edition_id").integer().not_null())
                .col(c("social_service_org").integer().null())
                .col(c("social_worker").string_len(200).not_null())
                .col(c("objectives").text().not_null())
                .col(c("status").string_len(20).not_null())
                .col(c("decision_reason").text().not_null())
                .col(c("version").integer().not_null())
                .col(c("created_at").timestamp_with_time_zone().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(id("project"), id("case_id"))
                        .to(id("case_file"), id("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(id("project"), id("edition_id"))
                        .to(id("project_edition"), id("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("project_intervention"))
                .col(pk())
                .col(c("project_id").integer().not_null())
                .col(c("kind").string_len(40).not_null())
                .col(c("provider").string_len(200).not_null())
                .col(c("months").integer().null())
                .col(c("requested_cents").big_integer().not_null())
                .col(c("approved_cents").big_integer().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(id("project_intervention"), id("project_id"))
                        .to(id("project"), id("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("project_transition"))
                .col(pk())
                .col(c("project_id").integer().not_null())
                .col(c("from_status").string_len(20).not_null())
                .col(c("to_status").string_len(20).not_null())
                .col(c("reason").text().not_null())
                .col(c("at").timestamp_with_time_zone().not_null())
                .col(c("by_user").integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("project_expense"))
                .col(pk())
                .col(c("intervention_id").integer().not_null())
                .col(c("spent_on").date().not_null())
                .col(c("amount_cents").big_integer().not_null())
                .col(c("document").string_len(200).not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(id("project_expense"), id("intervention_id"))
                        .to(id("project_intervention"), id("id")),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "project_expense",
            "project_transition",
            "project_intervention",
            "project",
            "project_edition",
        ] {
            m.drop_table(Table::drop().table(id(t)).to_owned()).await?;
        }
        Ok(())
    }
}
