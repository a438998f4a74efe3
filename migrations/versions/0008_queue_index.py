"""queue index: the front desk's queue read in its order (urgent first, then oldest)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 17:45:00

A page of the queue is the first 50 entries of these indexes, whatever the number of
requests: no sort of every matching appointment.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index(
            'ix_appointments_queue',
            ['status', sa.column('urgent').desc(), 'created_at', 'id'],
            unique=False,
        )
        batch_op.create_index(
            'ix_appointments_queue_any_status',
            [sa.column('urgent').desc(), 'created_at', 'id'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_queue_any_status')
        batch_op.drop_index('ix_appointments_queue')
