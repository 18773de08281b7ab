//! Per-day and per-month summaries of the activity report's additive figures (issue 23):
//! hotline cases and other calls, people met by street units and their tallies, counted by
//! Italian day (and rolled up by month) in the transaction of the records they count, so that
//! a ten-year report sums a few thousand rows instead of scanning every contact.
//!
//! `stats_summary_state` holds one row once the summaries cover every record: a new, empty
//! database is covered at once; a database upgraded with records in it is rebuilt by the
//! server at start (or `satis stats rebuild`), and until then the report counts the raw rows.

use sea_orm_migration::prelude::*;

use super::{id, pk};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000028_stats_day"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("stats_day"))
                .col(pk())
                // `d`: one Italian day; `m`: the month beginning on `day`.
                .col(ColumnDef::new(id("span")).string_len(1).not_null())
                .col(ColumnDef::new(id("day")).date().not_null())
                .col(ColumnDef::new(id("figure")).string_len(32).not_null())
                .col(ColumnDef::new(id("organisation_id")).integer().null())
                .col(ColumnDef::new(id("service_id")).integer().null())
                // The figure's breakdown values (codes only, never free text).
                .col(ColumnDef::new(id("k1")).string_len(255).null())
                .col(ColumnDef::new(id("k2")).string_len(255).null())
                .col(ColumnDef::new(id("k3")).string_len(255).null())
                .col(ColumnDef::new(id("n")).big_integer().not_null())
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_stats_day_figure_span_day")
                .table(id("stats_day"))
                .col(id("figure"))
                .col(id("span"))
                .col(id("day"))
                // Covering: a report reads the index alone.
                .col(id("organisation_id"))
                .col(id("service_id"))
                .col(id("k1"))
                .col(id("k2"))
                .col(id("k3"))
                .col(id("n"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_stats_day_day")
                .table(id("stats_day"))
                .col(id("day"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("stats_summary_state"))
                .col(ColumnDef::new(id("id")).integer().not_null().primary_key())
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        // Nothing to count yet: the (empty) summaries already cover every record.
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO stats_summary_state (id) SELECT 1 \
                 WHERE NOT EXISTS (SELECT 1 FROM hotline_contact) \
                 AND NOT EXISTS (SELECT 1 FROM outing)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("stats_summary_state")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(id("stats_day")).to_owned())
            .await
    }
}
