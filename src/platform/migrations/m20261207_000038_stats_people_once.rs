//! The protection figure in the report's per-day summaries (issue 23). It counts each person
//! once in the period, which cannot be added up from days in general; but nearly every person
//! enters protection once in their life, and for them it can. `stats_day` gains the figure's
//! marginal counts (one row per organisation, dimension and value) of the people with a single
//! entry, by the day it took effect; `stats_several` names the people with several entries,
//! whose entries the report still reads from the records.
//!
//! Summaries built before this have no protection rows, so a database holding protection
//! entries is marked as not built: the server rebuilds the summaries in the background at its
//! next start (the report counts the records meanwhile).

use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000038_stats_people_once"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("stats_several"))
                .col(ColumnDef::new(id("figure")).string_len(32).not_null())
                .col(ColumnDef::new(id("person_id")).integer().not_null())
                .primary_key(Index::create().col(id("figure")).col(id("person_id")))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "DELETE FROM stats_summary_state \
                 WHERE EXISTS (SELECT 1 FROM case_phase WHERE to_phase = 'protection')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("stats_several")).to_owned())
            .await
    }
}
