"""check-ins: the day-after check-in of each completed needling visit

Revision ID: 0013_check_ins
Revises: 0012_needling_notes
Create Date: 2026-12-03 03:00:00

One row per completed dry-needling visit, made with its aftercare email; the worker sends it
when due (the index finds the unsent ones due by now without reading the rest).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_check_ins'
down_revision = '0012_needling_notes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'check_ins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('soreness', sa.Integer(), nullable=True),
        sa.Column('bruising', sa.Boolean(), nullable=True),
        sa.Column('dizziness', sa.Boolean(), nullable=True),
        sa.Column('short_of_breath', sa.Boolean(), nullable=True),
        sa.Column('chest_pain', sa.Boolean(), nullable=True),
        sa.Column('dry_cough', sa.Boolean(), nullable=True),
        sa.Column('comments', sa.String(length=1000), server_default='', nullable=False),
        sa.Column('alarming', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.CheckConstraint('soreness BETWEEN 0 AND 10', name=op.f('ck_check_ins_soreness_0_to_10')),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_check_ins_appointment_id_appointments')),
        sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_check_ins_patient_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_check_ins')),
        sa.UniqueConstraint('appointment_id', name=op.f('uq_check_ins_appointment_id')),
    )
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.create_index('ix_check_ins_due', ['sent_at', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_ins_patient_id'), ['patient_id'], unique=False)


def downgrade():
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_ins_patient_id'))
        batch_op.drop_index('ix_check_ins_due')
    op.drop_table('check_ins')
