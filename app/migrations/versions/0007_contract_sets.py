"""contract sets, steering and governance (issue 12)

Revision ID: 0007
Revises: 0006

Contract sets: a gemeente in several sets (members active or invited), an administrator per
set, regional default tariffs, contract lines per provider, gemeente and period with extension
options and tariff exceptions, versions of every change, task-based funding, ceilings over any
period with code and gemeente scopes, pools over every contracted provider and thresholds.
Allocation permits (ceiling overrides, the provider's consent), the back-office audit, alerts
with their webhook, and the paid status of approved prestaties.

The data of 0003 is kept: every `money_contracts` row (provider x product x tariff) becomes a
contract line for that code with the tariff as its exception, from its first tariff to its last;
a ceiling's year becomes its period and its gemeente a one-gemeente scope.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _region_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["region_id"],
        ["money_regions.id"],
        name=op.f(f"fk_{table}_region_id_money_regions"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    # Plain ADD COLUMNs, never a batch copy of money_regions: on SQLite (foreign keys on) a
    # batch drops the old table, and ON DELETE CASCADE would empty every table below it.  The
    # downgrade leaves these columns, so they may be there already.
    inspector = sa.inspect(op.get_bind())
    have = {c["name"] for c in inspector.get_columns("money_regions")}
    have_products = {c["name"] for c in inspector.get_columns("money_products")}
    for column in (
        sa.Column("kind", sa.String(20), nullable=False, server_default="regional"),
        sa.Column("administrator", sa.String(4), nullable=True),
        sa.Column("tariff_policy", sa.String(10), nullable=False, server_default="equal"),
        sa.Column("settings", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
    ):
        if column.name not in have:
            op.add_column("money_regions", column)
    with op.batch_alter_table("money_region_members") as b:
        b.drop_constraint("uq_money_region_members_gemeente", type_="unique")
        b.add_column(sa.Column("status", sa.String(10), nullable=False, server_default="active"))
        b.create_unique_constraint(
            "uq_money_region_members_region_id_gemeente", ["region_id", "gemeente"]
        )
        b.create_index("ix_money_region_members_gemeente", ["gemeente"])
    for column in (
        sa.Column("declaration_moment", sa.String(12), nullable=False, server_default="period"),
        sa.Column("milestones", sa.JSON(), nullable=True),
    ):
        if column.name not in have_products:
            op.add_column("money_products", column)

    op.create_table(
        "money_product_tariffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("eenheid", sa.String(2), nullable=False),
        sa.Column("tarief", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        _region_fk("money_product_tariffs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_product_tariffs")),
    )
    op.create_index(
        "ix_money_product_tariffs_region_code", "money_product_tariffs", ["region_id", "code"]
    )
    op.create_table(
        "money_contract_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("aanbieder", sa.String(8), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("variant", sa.String(12), nullable=True),
        sa.Column("gemeenten", sa.JSON(), nullable=True),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("extension_options", sa.JSON(), nullable=False),
        sa.Column("extensions", sa.JSON(), nullable=False),
        _region_fk("money_contract_lines"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_contract_lines")),
    )
    op.create_index(
        "ix_money_contract_lines_region_agb", "money_contract_lines", ["region_id", "aanbieder"]
    )
    op.create_table(
        "money_line_tariffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("eenheid", sa.String(2), nullable=False),
        sa.Column("tarief", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["money_contract_lines.id"],
            name=op.f("fk_money_line_tariffs_line_id_money_contract_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_line_tariffs")),
    )
    op.create_index("ix_money_line_tariffs_line_id", "money_line_tariffs", ["line_id"])
    op.create_table(
        "money_task_funding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("aanbieder", sa.String(8), nullable=False),
        sa.Column("categorie", sa.String(2), nullable=False),
        sa.Column("code", sa.String(5), nullable=False),
        sa.Column("gemeenten", sa.JSON(), nullable=True),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        _region_fk("money_task_funding"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_task_funding")),
    )
    op.create_table(
        "money_contract_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor_party", sa.String(8), nullable=True),
        sa.Column("actor_user", sa.String(100), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_contract_versions")),
        sa.UniqueConstraint(
            "region_code", "version", name=op.f("uq_money_contract_versions_region_code_version")
        ),
    )

    # money_contracts rows -> one contract line per (set, provider, code), tariffs as exceptions
    conn = op.get_bind()
    old = sa.table(
        "money_contracts",
        sa.column("region_id", sa.Integer()),
        sa.column("aanbieder", sa.String()),
        sa.column("code", sa.String()),
        sa.column("eenheid", sa.String()),
        sa.column("tarief", sa.Integer()),
        sa.column("variant", sa.String()),
        sa.column("valid_from", sa.Date()),
        sa.column("valid_to", sa.Date()),
    )
    grouped: dict[tuple[int, str, str], list[sa.Row]] = defaultdict(list)  # type: ignore[type-arg]
    for row in conn.execute(sa.select(old).order_by(old.c.region_id, old.c.valid_from)):
        grouped[(row.region_id, row.aanbieder, row.code)].append(row)
    lines = sa.Table(
        "money_contract_lines",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("region_id", sa.Integer()),
        sa.Column("position", sa.Integer()),
        sa.Column("aanbieder", sa.String()),
        sa.Column("codes", sa.JSON()),
        sa.Column("variant", sa.String()),
        sa.Column("gemeenten", sa.JSON()),
        sa.Column("start", sa.Date()),
        sa.Column("end", sa.Date()),
        sa.Column("extension_options", sa.JSON()),
        sa.Column("extensions", sa.JSON()),
    )
    tariffs = sa.table(
        "money_line_tariffs",
        sa.column("line_id", sa.Integer()),
        sa.column("code", sa.String()),
        sa.column("eenheid", sa.String()),
        sa.column("tarief", sa.BigInteger()),
        sa.column("valid_from", sa.Date()),
        sa.column("valid_to", sa.Date()),
    )
    for position, ((region_id, agb, code), rows) in enumerate(sorted(grouped.items())):
        ends = [r.valid_to for r in rows]
        line_id = conn.execute(
            sa.insert(lines).values(
                region_id=region_id,
                position=position,
                aanbieder=agb,
                codes=[code],
                variant=rows[0].variant,
                gemeenten=None,
                start=min(r.valid_from for r in rows),
                end=None if None in ends else max(ends),
                extension_options=[],
                extensions=[],
            )
        ).inserted_primary_key[0]
        conn.execute(
            sa.insert(tariffs),
            [
                {
                    "line_id": line_id,
                    "code": code,
                    "eenheid": r.eenheid,
                    "tarief": r.tarief,
                    "valid_from": r.valid_from,
                    "valid_to": r.valid_to,
                }
                for r in rows
            ],
        )
    with op.batch_alter_table("money_contracts") as b:
        b.drop_index("ix_money_contracts_region_agb")
    op.drop_table("money_contracts")

    # money_ceilings needs a batch copy on SQLite (a new unique constraint): keep its members,
    # which the cascade of the copy's DROP TABLE would delete, and add columns in place.
    members = sa.table(
        "money_ceiling_members",
        sa.column("ceiling_id", sa.Integer()),
        sa.column("aanbieder", sa.String()),
    )
    kept = [dict(r._mapping) for r in conn.execute(sa.select(members))]
    for column in (
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("all_contracted", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("codes", sa.JSON(), nullable=True),
        sa.Column("gemeenten", sa.JSON(), nullable=True),
        sa.Column("thresholds", sa.JSON(), nullable=False, server_default=sa.text("'[90]'")),
    ):
        op.add_column("money_ceilings", column)
    ceilings = sa.table(
        "money_ceilings",
        sa.column("id", sa.Integer()),
        sa.column("year", sa.Integer()),
        sa.column("gemeente", sa.String()),
        sa.column("period_start", sa.Date()),
        sa.column("period_end", sa.Date()),
        sa.column("gemeenten", sa.JSON()),
    )
    for cid, year, gemeente in conn.execute(
        sa.select(ceilings.c.id, ceilings.c.year, ceilings.c.gemeente)
    ).all():
        conn.execute(
            sa.update(ceilings)
            .where(ceilings.c.id == cid)
            .values(
                period_start=dt.date(year, 1, 1),
                period_end=dt.date(year, 12, 31),
                gemeenten=[gemeente] if gemeente else None,
            )
        )
    with op.batch_alter_table("money_ceilings") as b:
        b.alter_column("period_start", existing_type=sa.Date(), nullable=False)
        b.alter_column("period_end", existing_type=sa.Date(), nullable=False)
        b.drop_constraint("uq_money_ceilings_region_id_name_year", type_="unique")
        b.create_unique_constraint(
            "uq_money_ceilings_region_id_name_period_start", ["region_id", "name", "period_start"]
        )
        b.drop_column("gemeente")
    if kept and not conn.execute(sa.select(sa.func.count()).select_from(members)).scalar():
        conn.execute(sa.insert(members), kept)

    op.create_table(
        "money_allocation_permits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gemeente", sa.String(4), nullable=False),
        sa.Column("nummer", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("actor_party", sa.String(8), nullable=True),
        sa.Column("actor_user", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_message_id", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["used_message_id"],
            ["messages.id"],
            name=op.f("fk_money_allocation_permits_used_message_id_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_allocation_permits")),
    )
    op.create_index(
        "ix_money_allocation_permits_allocation",
        "money_allocation_permits",
        ["gemeente", "nummer"],
    )
    op.create_table(
        "backoffice_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gemeente", sa.String(4), nullable=False),
        sa.Column("actor_user", sa.String(100), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_backoffice_audit_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backoffice_audit")),
    )
    op.create_index("ix_backoffice_audit_gemeente_at", "backoffice_audit", ["gemeente", "at"])
    op.create_table(
        "steering_webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gemeente", sa.String(4), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_steering_webhooks")),
        sa.UniqueConstraint("gemeente", name=op.f("uq_steering_webhooks_gemeente")),
    )
    op.create_table(
        "steering_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gemeente", sa.String(4), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_steering_alerts")),
        sa.UniqueConstraint("key", name=op.f("uq_steering_alerts_key")),
    )
    op.create_index("ix_steering_alerts_gemeente", "steering_alerts", ["gemeente", "id"])
    op.create_index("ix_steering_alerts_due", "steering_alerts", ["status", "next_attempt_at"])
    op.create_table(
        "steering_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prestatie_id", sa.Integer(), nullable=False),
        sa.Column("gemeente", sa.String(4), nullable=False),
        sa.Column("aanbieder", sa.String(8), nullable=False),
        sa.Column("referentienummer", sa.String(20), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("actor_user", sa.String(100), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["prestatie_id"],
            ["money_prestaties.id"],
            name=op.f("fk_steering_payments_prestatie_id_money_prestaties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_steering_payments")),
        sa.UniqueConstraint("prestatie_id", name=op.f("uq_steering_payments_prestatie_id")),
    )


_DEFAULT_VARIANT = {
    "pxq": "inspanning",
    "output": "output",
    "profile": "output",
    "budget": "output",
    "task": "taakgericht",
}


def downgrade() -> None:
    """Back to 0003, losing what 0003 cannot hold: versions, permits, the audit, alerts,
    payments, task funding, invitations and lines per gemeente.  Every line becomes one
    money_contracts row per code and tariff (its exception, else the regional default, within
    the line's period); a ceiling keeps its first gemeente; a gemeente keeps its oldest set.
    The added columns of money_regions and money_products stay (they have server defaults):
    dropping them on SQLite copies the table, and the cascade of that copy would empty the
    tables below it."""
    conn = op.get_bind()
    op.drop_table("steering_payments")
    op.drop_index("ix_steering_alerts_due", table_name="steering_alerts")
    op.drop_index("ix_steering_alerts_gemeente", table_name="steering_alerts")
    op.drop_table("steering_alerts")
    op.drop_table("steering_webhooks")
    op.drop_index("ix_backoffice_audit_gemeente_at", table_name="backoffice_audit")
    op.drop_table("backoffice_audit")
    op.drop_index("ix_money_allocation_permits_allocation", table_name="money_allocation_permits")
    op.drop_table("money_allocation_permits")
    op.drop_table("money_contract_versions")
    op.drop_table("money_task_funding")

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
    with op.batch_alter_table("money_contracts") as b:
        b.create_index("ix_money_contracts_region_agb", ["region_id", "aanbieder"])
    meta = sa.MetaData()
    products = sa.Table("money_products", meta, autoload_with=conn)
    defaults = sa.Table("money_product_tariffs", meta, autoload_with=conn)
    lines = sa.Table("money_contract_lines", meta, autoload_with=conn)
    exceptions = sa.Table("money_line_tariffs", meta, autoload_with=conn)
    contracts = sa.Table("money_contracts", meta, autoload_with=conn)
    category = {
        (r.region_id, r.code): (r.categorie, r.financing) for r in conn.execute(sa.select(products))
    }
    default_rows = defaultdict(list)
    for t in conn.execute(sa.select(defaults)):
        default_rows[(t.region_id, t.code)].append(t)
    own = defaultdict(list)
    for t in conn.execute(sa.select(exceptions)):
        own[(t.line_id, t.code)].append(t)
    rows, seen = [], set()
    for ln in conn.execute(sa.select(lines).order_by(lines.c.position)):
        for code in ln.codes:
            cat, financing = category.get((ln.region_id, code), ("", "pxq"))
            for t in own[(ln.id, code)] or default_rows[(ln.region_id, code)]:
                start = max(t.valid_from, ln.start)
                ends = [e for e in (t.valid_to, ln.end) if e is not None]
                end = min(ends) if ends else None
                key = (ln.region_id, ln.aanbieder, code, start)
                if not cat or (end is not None and end < start) or key in seen:
                    continue
                seen.add(key)
                rows.append(
                    {
                        "region_id": ln.region_id,
                        "aanbieder": ln.aanbieder,
                        "categorie": cat,
                        "code": code,
                        "eenheid": t.eenheid,
                        "tarief": t.tarief,
                        "variant": ln.variant or _DEFAULT_VARIANT.get(financing, "inspanning"),
                        "valid_from": start,
                        "valid_to": end,
                    }
                )
    if rows:
        conn.execute(sa.insert(contracts), rows)
    op.drop_index("ix_money_line_tariffs_line_id", table_name="money_line_tariffs")
    op.drop_table("money_line_tariffs")
    op.drop_index("ix_money_contract_lines_region_agb", table_name="money_contract_lines")
    op.drop_table("money_contract_lines")
    op.drop_index("ix_money_product_tariffs_region_code", table_name="money_product_tariffs")
    op.drop_table("money_product_tariffs")

    members = sa.Table("money_region_members", meta, autoload_with=conn)
    kept_sets: dict[str, int] = {}
    for m in conn.execute(sa.select(members).order_by(members.c.region_id)):
        if m.status != "active" or m.gemeente in kept_sets:
            conn.execute(sa.delete(members).where(members.c.id == m.id))
        else:
            kept_sets[m.gemeente] = m.region_id
    with op.batch_alter_table("money_region_members") as b:
        b.drop_index("ix_money_region_members_gemeente")
        b.drop_constraint("uq_money_region_members_region_id_gemeente", type_="unique")
        b.drop_column("status")
        b.create_unique_constraint("uq_money_region_members_gemeente", ["gemeente"])

    ceiling_members = sa.Table("money_ceiling_members", meta, autoload_with=conn)
    ceilings = sa.Table("money_ceilings", meta, autoload_with=conn)
    op.add_column("money_ceilings", sa.Column("gemeente", sa.String(4), nullable=True))
    ceilings = sa.Table(
        "money_ceilings", sa.MetaData(), autoload_with=conn
    )  # again, with the new column
    seen_years = set()
    for c in conn.execute(sa.select(ceilings).order_by(ceilings.c.period_start)):
        if (c.region_id, c.name, c.year) in seen_years:
            conn.execute(sa.delete(ceilings).where(ceilings.c.id == c.id))
            continue
        seen_years.add((c.region_id, c.name, c.year))
        conn.execute(
            sa.update(ceilings)
            .where(ceilings.c.id == c.id)
            .values(gemeente=(c.gemeenten or [None])[0])
        )
    kept = [dict(r._mapping) for r in conn.execute(sa.select(ceiling_members))]
    with op.batch_alter_table("money_ceilings") as b:
        b.drop_constraint("uq_money_ceilings_region_id_name_period_start", type_="unique")
        b.create_unique_constraint(
            "uq_money_ceilings_region_id_name_year", ["region_id", "name", "year"]
        )
        for name in (
            "period_start",
            "period_end",
            "all_contracted",
            "codes",
            "gemeenten",
            "thresholds",
        ):
            b.drop_column(name)
    if kept and not conn.execute(sa.select(sa.func.count()).select_from(ceiling_members)).scalar():
        conn.execute(sa.insert(ceiling_members), kept)
