//! Year rows of the report's per-day summaries (issue 23): `stats_day` gains `span = 'y'`
//! rows rolled up from the month rows. Summaries built before them have none, so they are
//! marked as not built: the server rebuilds them in the background at its next start (the
//! report counts the records meanwhile), as for a database that never had them.

use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000036_stats_year_rows"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.exec_stmt(
            Query::delete()
                .from_table(id("stats_summary_state"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
