"""audit detail: what an audit row alone cannot say (an override's reason, a refusal's checks)

Revision ID: 0009_audit_detail
Revises: 0008
Create Date: 2026-12-03 03:00:00

audit_events stays append-only. SQLite may rebuild the table in batch mode, which drops its
triggers, so on SQLite they are dropped if still there and created again, either way.
"""

from alembic import op
import sqlalchemy as sa

from intake import guards

# revision identifiers, used by Alembic.
revision = '0009_audit_detail'
down_revision = '0008'
branch_labels = None
depends_on = None


def _append_only_again():
    if op.get_bind().dialect.name == 'sqlite':
        for operation in ('update', 'delete'):
            op.execute(f'DROP TRIGGER IF EXISTS audit_events_no_{operation}')
        for statement in guards.append_only_sql('audit_events', 'sqlite'):
            op.execute(statement)


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detail', sa.JSON(), nullable=True))
    _append_only_again()


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('detail')
    _append_only_again()
