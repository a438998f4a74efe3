"""outbox calendar: the invitation an email attaches, as values; the mail worker writes the file

Revision ID: 0017_outbox_calendar
Revises: 0016_waitlist
Create Date: 2026-12-03 10:30:00

A change's emails used to carry their calendar file, built inside the change's transaction
(and so, on SQLite, inside the write lock). They now carry the event's values; the worker
builds the file when it sends the email and keeps it in `ics`, as sent.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_outbox_calendar'
down_revision = '0016_waitlist'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('outbox_messages', sa.Column('calendar', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('calendar')
