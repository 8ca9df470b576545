"""keyed audit chain: audit_log.keyed (a new column) and audit_chain (a new table), sealing the entries already there

Entries written from now on are linked with an HMAC keyed with the instance's secret (keyed true); the entries
already in the log stay as they are (plain SHA-256 links, keyed false). When the instance upgrades with its
CAIRN_SECRET_KEY (Cairn hands the derived audit key over in ``config.attributes``), the row of audit_chain records
the last of them, sealed with the key, so they keep verifying and no keyed entry can later be turned into an
unkeyed one. Upgraded without the key, they can be sealed once with ``cairn audit seal``.

Downgrading drops both: entries written keyed no longer verify under the older code's unkeyed rule.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

AUDIT_KEY = "cairn_audit_key"  # cairn.store.database.AUDIT_KEY


def _anchor_mac(key: bytes, legacy_until: int, legacy_link: str) -> str:
    """As cairn.store.audit.anchor_mac (kept here so this migration does not change when that module does)."""
    return hmac.new(key, f"cairn-audit-legacy:{legacy_until}:{legacy_link}".encode(), hashlib.sha256).hexdigest()


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("keyed", sa.Boolean(), server_default=sa.false(), nullable=False))
    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("legacy_until", sa.BigInteger(), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    key = context.config.attributes.get(AUDIT_KEY)
    if not isinstance(key, bytes):
        return
    last = (
        op.get_bind()
        .execute(sa.text("SELECT id, hash FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)"))
        .first()
    )
    if last is not None:
        mac = _anchor_mac(key, int(last.id), str(last.hash))
        op.bulk_insert(chain, [{"id": 1, "legacy_until": int(last.id), "mac": mac, "sealed_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("audit_chain")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("keyed")
