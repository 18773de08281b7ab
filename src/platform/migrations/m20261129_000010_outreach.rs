//! Street units and drop-in desks: outings with their tallies, anonymous contacts recognised
//! across outings, observations per place, drop-in interviews, and accompaniments (one record
//! type for every source: street unit, desk, hotline, case worker). Accompaniments recorded
//! earlier as case-timeline events are copied into the new table so that they are counted once.

use sea_orm_migration::prelude::*;

use super::{id, pk, ts, ts_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000010_outreach"
    }
}

const TABLES: &[&str] = &[
    "accompaniment",
    "drop_in_interview",
    "place_observation",
    "outreach_encounter",
    "outreach_contact",
    "outing_count",
    "outing",
    "outreach_place",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = |n: &'static str| ColumnDef::new(id(n));
        m.create_table(
            Table::create()
                .table(id("outreach_place"))
                .col(pk())
                .col(c("service_id").integer().not_null())
                .col(c("name").string_len(120).not_null())
                .col(c("active").boolean().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("outing"))
                .col(pk())
                .col(c("organisation_id").integer().not_null())
                .col(c("service_id").integer().not_null())
                .col(ts("started_at"))
                .col(ts("ended_at"))
                .col(c("area").string_len(200).not_null())
                .col(c("places").text().not_null())
                .col(c("team").string_len(300).not_null())
                .col(c("mediators").string_len(300).not_null())
                .col(c("languages").string_len(100).not_null())
                .col(c("people_met").integer().not_null())
                .col(c("referrals_proposed").integer().not_null())
                .col(c("accompaniments_proposed").integer().not_null())
                .col(c("notes_enc").blob().null())
                .col(c("idempotency_key").string_len(64).not_null())
                .col(c("created_by").integer().not_null())
                .col(ts("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_outing_idempotency")
                .table(id("outing"))
                .col(id("organisation_id"))
                .col(id("idempotency_key"))
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outing_started")
                .table(id("outing"))
                .col(id("started_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("outing_count"))
                .col(pk())
                .col(c("outing_id").integer().not_null())
                .col(c("dimension").string_len(20).not_null())
                .col(c("value").string_len(60).not_null())
                .col(c("count").integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outing_count_outing")
                .table(id("outing_count"))
                .col(id("outing_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("outreach_contact"))
                .col(pk())
                .col(c("organisation_id").integer().not_null())
                .col(c("code").string_len(40).not_null())
                .col(ts("created_at"))
                .col(c("case_id").integer().null())
                .col(ts_null("linked_at"))
                .col(c("linked_by").integer().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_outreach_contact_code")
                .table(id("outreach_contact"))
                .col(id("organisation_id"))
                .col(id("code"))
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("outreach_encounter"))
                .col(pk())
                .col(c("contact_id").integer().not_null())
                .col(c("outing_id").integer().not_null())
                .col(c("new_contact").boolean().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("place_observation"))
                .col(pk())
                .col(c("outing_id").integer().not_null())
                .col(c("place_id").integer().not_null())
                .col(c("people_seen").integer().not_null())
                .col(c("new_groups").boolean().not_null())
                .col(c("control_signs").boolean().not_null())
                .col(c("note_enc").blob().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("drop_in_interview"))
                .col(pk())
                .col(c("organisation_id").integer().not_null())
                .col(c("service_id").integer().not_null())
                .col(c("held_on").date().not_null())
                .col(c("itinerant").boolean().not_null())
                .col(c("contact_id").integer().null())
                .col(c("case_id").integer().null())
                .col(c("operator_id").integer().not_null())
                .col(c("mediator").string_len(200).not_null())
                .col(c("language").string_len(2).null())
                .col(c("topics").text().not_null())
                .col(c("outcome").string_len(40).not_null())
                .col(c("idempotency_key").string_len(64).not_null())
                .col(ts("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_drop_in_idempotency")
                .table(id("drop_in_interview"))
                .col(id("organisation_id"))
                .col(id("idempotency_key"))
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("accompaniment"))
                .col(pk())
                .col(c("organisation_id").integer().not_null())
                .col(c("happened_on").date().not_null())
                .col(c("service_kind").string_len(40).not_null())
                .col(c("outcome").string_len(40).not_null())
                .col(c("source").string_len(20).not_null())
                .col(c("contact_id").integer().null())
                .col(c("case_id").integer().null())
                .col(c("by_user").integer().not_null())
                .col(c("idempotency_key").string_len(64).not_null())
                .col(ts("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_accompaniment_idempotency")
                .table(id("accompaniment"))
                .col(id("organisation_id"))
                .col(id("idempotency_key"))
                .unique()
                .to_owned(),
        )
        .await?;
        // Accompaniments recorded on case timelines before this table existed.
        let copy = Query::insert()
            .into_table(id("accompaniment"))
            .columns([
                id("organisation_id"),
                id("happened_on"),
                id("service_kind"),
                id("outcome"),
                id("source"),
                id("case_id"),
                id("by_user"),
                id("idempotency_key"),
                id("created_at"),
            ])
            .select_from(
                Query::select()
                    .column((id("case_file"), id("owner_org")))
                    .column((id("case_event"), id("happened_on")))
                    .expr(Expr::val("other"))
                    .expr(Expr::val("done"))
                    .expr(Expr::val("case"))
                    .column((id("case_event"), id("case_id")))
                    .column((id("case_event"), id("by_user")))
                    // `||` and CAST are the same on SQLite and PostgreSQL.
                    .expr(Expr::cust("'case-event-' || CAST(case_event.id AS TEXT)"))
                    .expr(Expr::current_timestamp())
                    .from(id("case_event"))
                    .inner_join(
                        id("case_file"),
                        Expr::col((id("case_file"), id("id")))
                            .equals((id("case_event"), id("case_id"))),
                    )
                    .and_where(Expr::col((id("case_event"), id("kind"))).eq("accompaniment"))
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        m.exec_stmt(copy).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.drop_table(Table::drop().table(Alias::new(*t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
