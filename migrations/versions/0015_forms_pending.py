"""forms pending: the forms link's last sending and "completing on paper at arrival"

Revision ID: 0015_forms_pending
Revises: 0014_patient_contact
Create Date: 2026-12-03 07:15:00

A visit the desk books for a patient who lacks a current intake or consent is "forms
pending" (derived, services/forms_pending.py); these columns record when the link was last
emailed and who marked the forms as completed on paper at arrival. The index reads the day's
holding visits of every location for the forms-pending list.
"""

from alembic import op
import sqlalchemy as sa

from intake import guards


# revision identifiers, used by Alembic.
revision = '0015_forms_pending'
down_revision = '0014_patient_contact'
branch_labels = None
depends_on = None

HOLDING = sa.text("status IN ('requested', 'confirmed')")


def _rebuilt_appointments_guard():
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite's batch mode rebuilt the table, and with it dropped its triggers.
        for statement in guards.no_overlap_sql('appointments', 'sqlite'):
            op.execute(statement)


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forms_link_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('forms_on_paper_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('forms_on_paper_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appointments_forms_on_paper_by_id_users'), 'users', ['forms_on_paper_by_id'], ['id'])
        batch_op.create_index('ix_appointments_holding_starts', ['starts_at'], unique=False, sqlite_where=HOLDING, postgresql_where=HOLDING)
    _rebuilt_appointments_guard()


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_holding_starts', sqlite_where=HOLDING, postgresql_where=HOLDING)
        batch_op.drop_constraint(batch_op.f('fk_appointments_forms_on_paper_by_id_users'), type_='foreignkey')
        batch_op.drop_column('forms_on_paper_by_id')
        batch_op.drop_column('forms_on_paper_at')
        batch_op.drop_column('forms_link_sent_at')
    _rebuilt_appointments_guard()
