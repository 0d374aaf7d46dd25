"""ggk: envelopes received, the delivery outbox, per-party channel choice

Revision ID: 0006
Revises: 0005

The StUF-GGk channel (docs/ggk.md): every envelope the chain delivered to us with the answer we
gave it (so a redelivery gets the same answer), the durable outbox of envelopes we deliver to
the GGk (state, attempts, the worker's lease) and which channel each party's messages take.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ggk_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("zender", sa.String(length=200), nullable=False),
        sa.Column("ontvanger", sa.String(length=200), nullable=False),
        sa.Column("referentienummer", sa.String(length=40), nullable=False),
        sa.Column("cross_ref", sa.String(length=40), nullable=True),
        sa.Column("functie", sa.String(length=30), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=True),
        sa.Column("text", sa.String(length=1000), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_ggk_inbound_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ggk_inbound")),
        sa.UniqueConstraint(
            "zender", "referentienummer", name=op.f("uq_ggk_inbound_zender_referentienummer")
        ),
    )
    with op.batch_alter_table("ggk_inbound", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ggk_inbound_message_id"), ["message_id"])

    op.create_table(
        "ggk_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("referentienummer", sa.String(length=40), nullable=False),
        sa.Column("cross_ref", sa.String(length=40), nullable=True),
        sa.Column("functie", sa.String(length=30), nullable=True),
        sa.Column("zender", sa.String(length=200), nullable=False),
        sa.Column("ontvanger", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("inbound_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=True),
        sa.Column("text", sa.String(length=1000), nullable=True),
        sa.Column("answer_message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_ggk_outbox_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["inbound_id"], ["ggk_inbound.id"], name=op.f("fk_ggk_outbox_inbound_id_ggk_inbound")
        ),
        sa.ForeignKeyConstraint(
            ["answer_message_id"],
            ["messages.id"],
            name=op.f("fk_ggk_outbox_answer_message_id_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ggk_outbox")),
        sa.UniqueConstraint("referentienummer", name=op.f("uq_ggk_outbox_referentienummer")),
    )
    with op.batch_alter_table("ggk_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_ggk_outbox_due", ["state", "next_attempt_at"])
        batch_op.create_index(batch_op.f("ix_ggk_outbox_cross_ref"), ["cross_ref"])
        batch_op.create_index(batch_op.f("ix_ggk_outbox_message_id"), ["message_id"])

    op.create_table(
        "ggk_channels",
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_ggk_channels_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("party_id", name=op.f("pk_ggk_channels")),
    )


def downgrade() -> None:
    op.drop_table("ggk_channels")
    with op.batch_alter_table("ggk_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ggk_outbox_message_id"))
        batch_op.drop_index(batch_op.f("ix_ggk_outbox_cross_ref"))
        batch_op.drop_index("ix_ggk_outbox_due")
    op.drop_table("ggk_outbox")
    with op.batch_alter_table("ggk_inbound", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ggk_inbound_message_id"))
    op.drop_table("ggk_inbound")
