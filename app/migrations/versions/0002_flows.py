"""flows: allocations, requests, deliveries, code lists

Revision ID: 0002
Revises: 0001

The flow state of spec §3c: allocations with their versions and change log, requests (VOT per
product, VOW as a whole) with the JW319 answers, starts and stops, and the CBS municipality list
with validity periods (TR378).  Batch operations keep it working on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flow_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gemeente", sa.String(length=4), nullable=False),
        sa.Column("nummer", sa.BigInteger(), nullable=False),
        sa.Column("bsn", sa.String(length=9), nullable=False),
        sa.Column("aanbieder", sa.String(length=8), nullable=False),
        sa.Column("leading_version_id", sa.Integer(), nullable=True),
        sa.Column("latest_version_id", sa.Integer(), nullable=True),
        sa.Column("change_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_allocations")),
        sa.UniqueConstraint("gemeente", "nummer", name=op.f("uq_flow_allocations_gemeente_nummer")),
    )
    with op.batch_alter_table("flow_allocations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_flow_allocations_changes", ["gemeente", "change_seq"], unique=False
        )
        batch_op.create_index(
            "ix_flow_allocations_client", ["gemeente", "aanbieder", "bsn"], unique=False
        )

    op.create_table(
        "flow_gemeente_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_gemeente_codes")),
    )
    with op.batch_alter_table("flow_gemeente_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow_gemeente_codes_code"), ["code"], unique=False)

    op.create_table(
        "flow_allocation_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gemeente", sa.String(length=4), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["flow_allocations.id"],
            name=op.f("fk_flow_allocation_changes_allocation_id_flow_allocations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_flow_allocation_changes_message_id_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_allocation_changes")),
        sa.UniqueConstraint(
            "gemeente", "seq", name=op.f("uq_flow_allocation_changes_gemeente_seq")
        ),
    )
    op.create_table(
        "flow_allocation_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("gemeente", sa.String(length=4), nullable=False),
        sa.Column("nummer", sa.BigInteger(), nullable=False),
        sa.Column("bsn", sa.String(length=9), nullable=False),
        sa.Column("aanbieder", sa.String(length=8), nullable=False),
        sa.Column("categorie", sa.String(length=2), nullable=True),
        sa.Column("code", sa.String(length=5), nullable=True),
        sa.Column("ingangsdatum", sa.Date(), nullable=False),
        sa.Column("einddatum", sa.Date(), nullable=True),
        sa.Column("reden_wijziging", sa.String(length=2), nullable=True),
        sa.Column("volume", sa.BigInteger(), nullable=True),
        sa.Column("eenheid", sa.String(length=2), nullable=True),
        sa.Column("frequentie", sa.String(length=1), nullable=True),
        sa.Column("budget", sa.BigInteger(), nullable=True),
        sa.Column("toewijzingsdatum", sa.Date(), nullable=False),
        sa.Column("toewijzingstijd", sa.Time(), nullable=False),
        sa.Column("referentie_aanbieder", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("unchanged", sa.Boolean(), nullable=False),
        sa.Column("retour_message_id", sa.Integer(), nullable=True),
        sa.Column("retour_codes", sa.JSON(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["flow_allocations.id"],
            name=op.f("fk_flow_allocation_versions_allocation_id_flow_allocations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_flow_allocation_versions_message_id_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["retour_message_id"],
            ["messages.id"],
            name=op.f("fk_flow_allocation_versions_retour_message_id_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_allocation_versions")),
    )
    with op.batch_alter_table("flow_allocation_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_flow_allocation_versions_allocation_id"), ["allocation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_flow_allocation_versions_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            "ix_flow_allocation_versions_ref", ["aanbieder", "referentie_aanbieder"], unique=False
        )

    op.create_table(
        "flow_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.Column("gemeente", sa.String(length=4), nullable=False),
        sa.Column("aanbieder", sa.String(length=8), nullable=False),
        sa.Column("bsn", sa.String(length=9), nullable=False),
        sa.Column("referentie", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("dagtekening", sa.Date(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("final_deadline", sa.Date(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by_message_id", sa.Integer(), nullable=True),
        sa.Column("reden_afwijzing", sa.String(length=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_message_id"],
            ["messages.id"],
            name=op.f("fk_flow_requests_decided_by_message_id_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_flow_requests_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_requests")),
        sa.UniqueConstraint(
            "aanbieder", "referentie", name=op.f("uq_flow_requests_aanbieder_referentie")
        ),
    )
    with op.batch_alter_table("flow_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_flow_requests_client", ["gemeente", "aanbieder", "bsn"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_flow_requests_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            "ix_flow_requests_open", ["gemeente", "status", "deadline"], unique=False
        )

    op.create_table(
        "flow_starts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gemeente", sa.String(length=4), nullable=False),
        sa.Column("aanbieder", sa.String(length=8), nullable=False),
        sa.Column("bsn", sa.String(length=9), nullable=False),
        sa.Column("nummer", sa.BigInteger(), nullable=True),
        sa.Column("categorie", sa.String(length=2), nullable=True),
        sa.Column("code", sa.String(length=5), nullable=True),
        sa.Column("begindatum", sa.Date(), nullable=False),
        sa.Column("toewijzing_ingangsdatum", sa.Date(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("deleted_by_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deleted_by_message_id"],
            ["messages.id"],
            name=op.f("fk_flow_starts_deleted_by_message_id_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_flow_starts_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_starts")),
    )
    with op.batch_alter_table("flow_starts", schema=None) as batch_op:
        batch_op.create_index("ix_flow_starts_allocation", ["gemeente", "nummer"], unique=False)
        batch_op.create_index(
            "ix_flow_starts_client", ["gemeente", "aanbieder", "bsn"], unique=False
        )

    op.create_table(
        "flow_request_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("verzoek_antwoord", sa.String(length=1), nullable=False),
        sa.Column("reden", sa.String(length=2), nullable=True),
        sa.Column("woonplaatsbeginsel", sa.String(length=4), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("retour_message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_flow_request_answers_message_id_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["flow_requests.id"],
            name=op.f("fk_flow_request_answers_request_id_flow_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["retour_message_id"],
            ["messages.id"],
            name=op.f("fk_flow_request_answers_retour_message_id_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_request_answers")),
    )
    with op.batch_alter_table("flow_request_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_flow_request_answers_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_flow_request_answers_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "flow_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("start_id", sa.Integer(), nullable=False),
        sa.Column("reden", sa.String(length=2), nullable=False),
        sa.Column("einddatum", sa.Date(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("deleted_by_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deleted_by_message_id"],
            ["messages.id"],
            name=op.f("fk_flow_stops_deleted_by_message_id_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_flow_stops_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["start_id"],
            ["flow_starts.id"],
            name=op.f("fk_flow_stops_start_id_flow_starts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_stops")),
    )
    with op.batch_alter_table("flow_stops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow_stops_start_id"), ["start_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flow_stops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_stops_start_id"))

    op.drop_table("flow_stops")
    with op.batch_alter_table("flow_request_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_request_answers_request_id"))
        batch_op.drop_index(batch_op.f("ix_flow_request_answers_message_id"))

    op.drop_table("flow_request_answers")
    with op.batch_alter_table("flow_starts", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_starts_client")
        batch_op.drop_index("ix_flow_starts_allocation")

    op.drop_table("flow_starts")
    with op.batch_alter_table("flow_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_requests_open")
        batch_op.drop_index(batch_op.f("ix_flow_requests_message_id"))
        batch_op.drop_index("ix_flow_requests_client")

    op.drop_table("flow_requests")
    with op.batch_alter_table("flow_allocation_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_allocation_versions_ref")
        batch_op.drop_index(batch_op.f("ix_flow_allocation_versions_message_id"))
        batch_op.drop_index(batch_op.f("ix_flow_allocation_versions_allocation_id"))

    op.drop_table("flow_allocation_versions")
    op.drop_table("flow_allocation_changes")
    with op.batch_alter_table("flow_gemeente_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_gemeente_codes_code"))

    op.drop_table("flow_gemeente_codes")
    with op.batch_alter_table("flow_allocations", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_allocations_client")
        batch_op.drop_index("ix_flow_allocations_changes")

    op.drop_table("flow_allocations")
