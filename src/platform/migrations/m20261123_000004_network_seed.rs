//! Loads the seed network (see `network::seed`). Runs once; later changes go through the
//! staff pages. Organisations already present by name (created before this migration) are
//! completed, not duplicated.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use super::id;
use super::network_seed as seed;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000004_network_seed"
    }
}

async fn org_id(m: &SchemaManager<'_>, name: &str) -> Result<Option<i32>, DbErr> {
    let q = Query::select()
        .column(id("id"))
        .from(id("organisation"))
        .and_where(Expr::col(id("name")).eq(name))
        .to_owned();
    let db = m.get_connection();
    let row = db.query_one(&q).await?;
    Ok(match row {
        Some(r) => Some(r.try_get_by_index::<i32>(0)?),
        None => None,
    })
}

async fn role(
    m: &SchemaManager<'_>,
    org: &str,
    kind: &str,
    province: Option<&str>,
) -> Result<(), DbErr> {
    let org = org_id(m, org)
        .await?
        .ok_or_else(|| DbErr::Migration(format!("seed organisation missing: {org}")))?;
    let since = chrono::NaiveDate::parse_from_str(seed::SINCE, "%Y-%m-%d")
        .map_err(|e| DbErr::Migration(e.to_string()))?;
    m.exec_stmt(
        Query::insert()
            .into_table(id("governance_role"))
            .columns([
                id("organisation_id"),
                id("kind"),
                id("province"),
                id("since"),
            ])
            .values_panic([
                org.into(),
                kind.into(),
                province.map(str::to_owned).into(),
                since.into(),
            ])
            .to_owned(),
    )
    .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let now = chrono::Utc::now();
        for (name, kind, province, public) in seed::ORGANISATIONS {
            if org_id(m, name).await?.is_none() {
                m.exec_stmt(
                    Query::insert()
                        .into_table(id("organisation"))
                        .columns([
                            id("name"),
                            id("kind"),
                            id("province"),
                            id("is_public"),
                            id("created_at"),
                        ])
                        .values_panic([
                            (*name).into(),
                            (*kind).into(),
                            province.map(str::to_owned).into(),
                            (*public).into(),
                            now.into(),
                        ])
                        .to_owned(),
                )
                .await?;
            }
        }
        for (org, kind) in seed::REGIONAL_ROLES {
            role(m, org, kind, None).await?;
        }
        for (province, coordinator, local, private) in seed::PROVINCES {
            if !coordinator.is_empty() {
                role(m, coordinator, "territorial_coordinator", Some(province)).await?;
            }
            for org in *local {
                role(m, org, "local_network", Some(province)).await?;
            }
            for org in *private {
                role(m, org, "private_network", Some(province)).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            "DELETE FROM governance_role".to_owned(),
        ))
        .await?;
        Ok(())
    }
}
