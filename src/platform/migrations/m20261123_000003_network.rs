//! The network registry: register details of organisations, dated governance roles, services
//! with beds (addresses of housing encrypted), local-network meetings, training events.

use sea_orm_migration::prelude::*;

use super::{id, pk};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000003_network"
    }
}

fn fk(table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(id(table), id(col))
        .to(id(to), id("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(id("organisation"))
                .add_column(
                    ColumnDef::new(id("register_section2"))
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(id("organisation"))
                .add_column(ColumnDef::new(id("register_number")).string_len(40).null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(id("governance_role"))
                .col(pk())
                .col(ColumnDef::new(id("organisation_id")).integer().not_null())
                .col(ColumnDef::new(id("kind")).string_len(40).not_null())
                .col(ColumnDef::new(id("province")).string_len(2).null())
                .col(ColumnDef::new(id("since")).date().not_null())
                .col(ColumnDef::new(id("until")).date().null())
                .foreign_key(&mut fk(
                    "governance_role",
                    "organisation_id",
                    "organisation",
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(id("network_service"))
                .col(pk())
                .col(ColumnDef::new(id("organisation_id")).integer().not_null())
                .col(ColumnDef::new(id("kind")).string_len(40).not_null())
                .col(ColumnDef::new(id("name")).string_len(200).not_null())
                .col(ColumnDef::new(id("province")).string_len(2).null())
                .col(ColumnDef::new(id("hours")).string_len(500).not_null())
                .col(ColumnDef::new(id("languages")).string_len(200).not_null())
                .col(ColumnDef::new(id("itinerant")).boolean().not_null())
                .col(ColumnDef::new(id("address_enc")).blob().null())
                .col(ColumnDef::new(id("active")).boolean().not_null())
                .foreign_key(&mut fk(
                    "network_service",
                    "organisation_id",
                    "organisation",
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(id("service_beds"))
                .col(pk())
                .col(ColumnDef::new(id("service_id")).integer().not_null())
                .col(ColumnDef::new(id("bed_kind")).string_len(40).not_null())
                .col(ColumnDef::new(id("capacity")).integer().not_null())
                .foreign_key(&mut fk("service_beds", "service_id", "network_service"))
                .index(
                    Index::create()
                        .name("ux_service_beds_kind")
                        .col(id("service_id"))
                        .col(id("bed_kind"))
                        .unique(),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(id("network_meeting"))
                .col(pk())
                .col(ColumnDef::new(id("province")).string_len(2).not_null())
                .col(ColumnDef::new(id("convener_id")).integer().not_null())
                .col(ColumnDef::new(id("held_on")).date().not_null())
                .col(ColumnDef::new(id("agenda")).text().not_null())
                .col(ColumnDef::new(id("minutes")).text().not_null())
                .col(ColumnDef::new(id("decisions")).text().not_null())
                .col(ColumnDef::new(id("created_by")).integer().not_null())
                .foreign_key(&mut fk("network_meeting", "convener_id", "organisation"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(id("meeting_participant"))
                .col(pk())
                .col(ColumnDef::new(id("meeting_id")).integer().not_null())
                .col(ColumnDef::new(id("organisation_id")).integer().not_null())
                .col(ColumnDef::new(id("present")).boolean().not_null())
                .foreign_key(&mut fk(
                    "meeting_participant",
                    "meeting_id",
                    "network_meeting",
                ))
                .foreign_key(&mut fk(
                    "meeting_participant",
                    "organisation_id",
                    "organisation",
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(id("training_event"))
                .col(pk())
                .col(ColumnDef::new(id("title")).string_len(200).not_null())
                .col(ColumnDef::new(id("place")).string_len(200).not_null())
                .col(ColumnDef::new(id("held_on")).date().not_null())
                .col(ColumnDef::new(id("organisations")).text().not_null())
                .col(ColumnDef::new(id("participants")).integer().not_null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "training_event",
            "meeting_participant",
            "network_meeting",
            "service_beds",
            "network_service",
            "governance_role",
        ] {
            m.drop_table(Table::drop().table(id(t)).to_owned()).await?;
        }
        Ok(())
    }
}
