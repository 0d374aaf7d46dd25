"""money: products, contracts, declarations, ceilings

Revision ID: 0003
Revises: 0002

Regions and their product catalogue, contracts with dated tariffs, budget ceilings, the
declaration ledger (every JW323 prestatie with its decision) and automatic-allocation decisions.
Batch operations keep it working on SQLite as well as PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "money_regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("auto_allocate", sa.Boolean(), nullable=False),
        sa.Column("stacking_exceptions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_regions")),
        sa.UniqueConstraint("code", name=op.f("uq_money_regions_code")),
    )
    op.create_table(
        "money_ceilings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("hard", sa.Boolean(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=True),
        sa.Column("gemeente", sa.String(length=4), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["money_regions.id"],
            name=op.f("fk_money_ceilings_region_id_money_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_ceilings")),
        sa.UniqueConstraint(
            "region_id", "name", "year", name=op.f("uq_money_ceilings_region_id_name_year")
        ),
    )
    op.create_table(
        "money_contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("aanbieder", sa.String(length=8), nullable=False),
        sa.Column("categorie", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("eenheid", sa.String(length=2), nullable=False),
        sa.Column("tarief", sa.Integer(), nullable=True),
        sa.Column("variant", sa.String(length=12), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["money_regions.id"],
            name=op.f("fk_money_contracts_region_id_money_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_contracts")),
        sa.UniqueConstraint(
            "region_id",
            "aanbieder",
            "code",
            "valid_from",
            name=op.f("uq_money_contracts_region_id_aanbieder_code_valid_from"),
        ),
    )
    with op.batch_alter_table("money_contracts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_money_contracts_region_agb", ["region_id", "aanbieder"], unique=False
        )

    op.create_table(
        "money_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("categorie", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("eenheid", sa.String(length=2), nullable=False),
        sa.Column("financing", sa.String(length=16), nullable=False),
        sa.Column("profiel", sa.String(length=60), nullable=True),
        sa.Column("intensiteit", sa.String(length=30), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["money_regions.id"],
            name=op.f("fk_money_products_region_id_money_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_products")),
        sa.UniqueConstraint(
            "region_id",
            "code",
            "valid_from",
            name=op.f("uq_money_products_region_id_code_valid_from"),
        ),
    )
    with op.batch_alter_table("money_products", schema=None) as batch_op:
        batch_op.create_index(
            "ix_money_products_region_cat", ["region_id", "categorie"], unique=False
        )

    op.create_table(
        "money_region_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("gemeente", sa.String(length=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["money_regions.id"],
            name=op.f("fk_money_region_members_region_id_money_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_region_members")),
        sa.UniqueConstraint("gemeente", name=op.f("uq_money_region_members_gemeente")),
    )
    op.create_table(
        "money_auto_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_message_id", sa.Integer(), nullable=True),
        sa.Column("gemeente", sa.String(length=4), nullable=False),
        sa.Column("aanbieder", sa.String(length=8), nullable=False),
        sa.Column("referentie_aanbieder", sa.String(length=40), nullable=False),
        sa.Column("bsn", sa.String(length=9), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("allocation_message_id", sa.Integer(), nullable=True),
        sa.Column("toewijzingnummer", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_message_id"],
            ["messages.id"],
            name=op.f("fk_money_auto_decisions_allocation_message_id_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["request_message_id"],
            ["messages.id"],
            name=op.f("fk_money_auto_decisions_request_message_id_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_auto_decisions")),
    )
    with op.batch_alter_table("money_auto_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_money_auto_decisions_ref", ["aanbieder", "referentie_aanbieder"], unique=False
        )

    op.create_table(
        "money_ceiling_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ceiling_id", sa.Integer(), nullable=False),
        sa.Column("aanbieder", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["ceiling_id"],
            ["money_ceilings.id"],
            name=op.f("fk_money_ceiling_members_ceiling_id_money_ceilings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_ceiling_members")),
        sa.UniqueConstraint(
            "ceiling_id", "aanbieder", name=op.f("uq_money_ceiling_members_ceiling_id_aanbieder")
        ),
    )
    op.create_table(
        "money_declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("gemeente", sa.String(length=4), nullable=False),
        sa.Column("aanbieder", sa.String(length=8), nullable=False),
        sa.Column("nummer", sa.String(length=12), nullable=False),
        sa.Column("identificatie", sa.String(length=12), nullable=False),
        sa.Column("dagtekening", sa.Date(), nullable=False),
        sa.Column("periode_begin", sa.Date(), nullable=False),
        sa.Column("periode_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("ingediend", sa.BigInteger(), nullable=False),
        sa.Column("toegekend", sa.BigInteger(), nullable=False),
        sa.Column("n_prestaties", sa.Integer(), nullable=False),
        sa.Column("n_approved", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_money_declarations_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_declarations")),
        sa.UniqueConstraint("message_id", name=op.f("uq_money_declarations_message_id")),
    )
    with op.batch_alter_table("money_declarations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_money_declarations_agb_nummer", ["aanbieder", "nummer"], unique=False
        )
        batch_op.create_index(
            "ix_money_declarations_agb_periode", ["aanbieder", "periode_begin"], unique=False
        )

    op.create_table(
        "money_prestaties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("gemeente", sa.String(length=4), nullable=False),
        sa.Column("aanbieder", sa.String(length=8), nullable=False),
        sa.Column("bsn", sa.String(length=9), nullable=False),
        sa.Column("referentienummer", sa.String(length=20), nullable=False),
        sa.Column("vorig_referentienummer", sa.String(length=20), nullable=True),
        sa.Column("toewijzingnummer", sa.BigInteger(), nullable=False),
        sa.Column("categorie", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("periode_begin", sa.Date(), nullable=False),
        sa.Column("periode_end", sa.Date(), nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=False),
        sa.Column("eenheid", sa.String(length=2), nullable=False),
        sa.Column("tarief", sa.Integer(), nullable=True),
        sa.Column("bedrag", sa.BigInteger(), nullable=False),
        sa.Column("debet_credit", sa.String(length=1), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("credited_by", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["money_declarations.id"],
            name=op.f("fk_money_prestaties_declaration_id_money_declarations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_prestaties")),
    )
    with op.batch_alter_table("money_prestaties", schema=None) as batch_op:
        batch_op.create_index(
            "ix_money_prestaties_agb_ref", ["aanbieder", "referentienummer"], unique=False
        )
        batch_op.create_index(
            "ix_money_prestaties_allocation", ["gemeente", "toewijzingnummer"], unique=False
        )
        batch_op.create_index(
            "ix_money_prestaties_declaration", ["declaration_id", "position"], unique=False
        )
        batch_op.create_index(
            "ix_money_prestaties_spend", ["gemeente", "aanbieder", "periode_begin"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("money_prestaties", schema=None) as batch_op:
        batch_op.drop_index("ix_money_prestaties_spend")
        batch_op.drop_index("ix_money_prestaties_declaration")
        batch_op.drop_index("ix_money_prestaties_allocation")
        batch_op.drop_index("ix_money_prestaties_agb_ref")

    op.drop_table("money_prestaties")
    with op.batch_alter_table("money_declarations", schema=None) as batch_op:
        batch_op.drop_index("ix_money_declarations_agb_periode")
        batch_op.drop_index("ix_money_declarations_agb_nummer")

    op.drop_table("money_declarations")
    op.drop_table("money_ceiling_members")
    with op.batch_alter_table("money_auto_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_money_auto_decisions_ref")

    op.drop_table("money_auto_decisions")
    op.drop_table("money_region_members")
    with op.batch_alter_table("money_products", schema=None) as batch_op:
        batch_op.drop_index("ix_money_products_region_cat")

    op.drop_table("money_products")
    with op.batch_alter_table("money_contracts", schema=None) as batch_op:
        batch_op.drop_index("ix_money_contracts_region_agb")

    op.drop_table("money_contracts")
    op.drop_table("money_ceilings")
    op.drop_table("money_regions")
