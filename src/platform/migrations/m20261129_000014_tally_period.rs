//! Each outing tally carries its outing's start and unit, so that the activity report sums
//! tallies over a period from one covering index, without joining 600,000 tallies to their
//! outings (docs/BENCHMARKS.md). Existing tallies are filled from their outings. The hotline's
//! covering index gains the labour sector the report now groups by.

use sea_orm_migration::prelude::*;

use super::{id, ts_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000014_tally_period"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(id("outing_count"))
                .add_column(ts_null("started_at"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(id("outing_count"))
                .add_column(ColumnDef::new(id("service_id")).integer().null().to_owned())
                .to_owned(),
        )
        .await?;
        let fill = Query::update()
            .table(id("outing_count"))
            .value(
                id("started_at"),
                Expr::cust("(SELECT outing.started_at FROM outing WHERE outing.id = outing_count.outing_id)"),
            )
            .value(
                id("service_id"),
                Expr::cust("(SELECT outing.service_id FROM outing WHERE outing.id = outing_count.outing_id)"),
            )
            .to_owned();
        m.exec_stmt(fill).await?;
        // The hotline figure now also groups by labour sector: its covering index grows.
        m.drop_index(
            Index::drop()
                .name("ix_report_hotline")
                .table(id("hotline_contact"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_report_hotline_sector")
                .table(id("hotline_contact"))
                .col(id("started_at"))
                .col(id("relevance"))
                .col(id("previous_contact_id"))
                .col(id("province"))
                .col(id("exploitation_forms"))
                .col(id("labour_sector"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_report_tally_period")
                .table(id("outing_count"))
                .col(id("started_at"))
                .col(id("dimension"))
                .col(id("value"))
                .col(id("count"))
                .col(id("service_id"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_report_hotline_sector")
                .table(id("hotline_contact"))
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_report_tally_period")
                .table(id("outing_count"))
                .to_owned(),
        )
        .await?;
        for c in ["service_id", "started_at"] {
            m.alter_table(
                Table::alter()
                    .table(id("outing_count"))
                    .drop_column(Alias::new(c))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
