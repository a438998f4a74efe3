"""session versions that end every session of a user; append-only tables refuse TRUNCATE

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:00:00

"""
from alembic import op
import sqlalchemy as sa

from intake import guards

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

APPEND_ONLY = ('audit_events', 'signed_consents', 'consent_withdrawals', 'consent_versions')


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
        )
    if op.get_bind().dialect.name == 'postgresql':
        for table in APPEND_ONLY:
            op.execute(guards.no_truncate_sql(table))


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in APPEND_ONLY:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
