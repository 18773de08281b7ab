//! Hotline cases are situations, not callers (issue 21): every contact belongs to a
//! situation — its own, when the operator records a new situation, or the situation of the
//! earlier contact it follows up. A case is counted once, at its situation's first pertinent
//! contact. Contacts recorded before this migration: a contact without a previous one starts
//! its own situation; a follow-up joins its previous contact's.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000019_situations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(id("hotline_contact"))
                .add_column(ColumnDef::new(id("situation_id")).integer().null())
                .to_owned(),
        )
        .await?;
        // Whether the operator said "a new situation" (a known caller's different case);
        // otherwise a contact entered after the fact may become the first of a situation
        // whose later contacts were entered before it.
        m.alter_table(
            Table::alter()
                .table(id("hotline_contact"))
                .add_column(
                    ColumnDef::new(id("new_situation"))
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let select = Query::select()
            .columns([id("id"), id("previous_contact_id")])
            .from(id("hotline_contact"))
            .order_by(id("started_at"), Order::Asc)
            .order_by(id("id"), Order::Asc)
            .to_owned();
        let rows = db.query_all(&select).await?;
        let mut situation: HashMap<i32, i32> = HashMap::new();
        let mut pending: Vec<(i32, Option<i32>)> = Vec::new();
        for r in rows {
            let pk: i32 = r.try_get_by_index(0)?;
            let previous: Option<i32> = r.try_get_by_index(1)?;
            pending.push((pk, previous));
        }
        // A previous contact may have been entered later in time: resolve until stable.
        let mut left = pending;
        loop {
            let before = left.len();
            left.retain(|(pk, previous)| match previous {
                None => {
                    situation.insert(*pk, *pk);
                    false
                }
                Some(p) => match situation.get(p).copied() {
                    Some(s) => {
                        situation.insert(*pk, s);
                        false
                    }
                    None => true,
                },
            });
            if left.is_empty() || left.len() == before {
                break;
            }
        }
        // A chain that never reaches a first contact (should not exist): its own situation.
        for (pk, _) in left {
            situation.insert(pk, pk);
        }
        for (pk, s) in situation {
            let update = Query::update()
                .table(id("hotline_contact"))
                .value(id("situation_id"), s)
                .and_where(Expr::col(id("id")).eq(pk))
                .to_owned();
            db.execute(&update).await?;
        }
        m.create_index(
            Index::create()
                .name("ix_contact_situation")
                .table(id("hotline_contact"))
                .col(id("situation_id"))
                .col(id("relevance"))
                .col(id("started_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_contact_situation")
                .table(id("hotline_contact"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(id("hotline_contact"))
                .drop_column(id("new_situation"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(id("hotline_contact"))
                .drop_column(id("situation_id"))
                .to_owned(),
        )
        .await
    }
}
