"""waitlist: patients waiting for a time, and the freed times offered to them

Revision ID: 0016_waitlist
Revises: 0015_forms_pending
Create Date: 2026-12-03 07:05:33

Entries are read in waitlist order per place and type (ix_waitlist_entries_match) and for
the desk's list; offers by their time, by expiry for the worker, and newest first. At most
one open offer per patient and time, enforced by a partial unique index.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_waitlist'
down_revision = '0015_forms_pending'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('waitlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('first_on', sa.Date(), nullable=False),
    sa.Column('last_on', sa.Date(), nullable=False),
    sa.Column('times_of_day', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('active', 'booked', 'removed', name='waitlist_status_known', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('first_on <= last_on', name=op.f('ck_waitlist_entries_first_on_before_last_on')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_waitlist_entries_created_by_id_users')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_waitlist_entries_location_id_locations')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_waitlist_entries_patient_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_waitlist_entries_provider_id_providers')),
    sa.ForeignKeyConstraint(['type_id'], ['appointment_types.id'], name=op.f('fk_waitlist_entries_type_id_appointment_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries'))
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index('ix_waitlist_entries_list', ['status', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_waitlist_entries_match', ['status', 'location_id', 'type_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_waitlist_entries_patient', ['patient_id', 'status'], unique=False)

    op.create_table('waitlist_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('offered', 'claimed', 'taken', 'expired', name='offer_status_known', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_waitlist_offers_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['entry_id'], ['waitlist_entries.id'], name=op.f('fk_waitlist_offers_entry_id_waitlist_entries')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_waitlist_offers_location_id_locations')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_waitlist_offers_patient_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_waitlist_offers_provider_id_providers')),
    sa.ForeignKeyConstraint(['type_id'], ['appointment_types.id'], name=op.f('fk_waitlist_offers_type_id_appointment_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_offers'))
    )
    with op.batch_alter_table('waitlist_offers', schema=None) as batch_op:
        batch_op.create_index('ix_waitlist_offers_due', ['status', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_waitlist_offers_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index('ix_waitlist_offers_sent', ['sent_at', 'id'], unique=False)
        batch_op.create_index('ix_waitlist_offers_time', ['provider_id', 'starts_at', 'status'], unique=False)
        batch_op.create_index('uq_waitlist_offers_open_per_patient', ['patient_id', 'provider_id', 'starts_at'], unique=True, sqlite_where=sa.text("status = 'offered'"), postgresql_where=sa.text("status = 'offered'"))



def downgrade():
    with op.batch_alter_table('waitlist_offers', schema=None) as batch_op:
        batch_op.drop_index('uq_waitlist_offers_open_per_patient', sqlite_where=sa.text("status = 'offered'"), postgresql_where=sa.text("status = 'offered'"))
        batch_op.drop_index('ix_waitlist_offers_time')
        batch_op.drop_index('ix_waitlist_offers_sent')
        batch_op.drop_index(batch_op.f('ix_waitlist_offers_entry_id'))
        batch_op.drop_index('ix_waitlist_offers_due')

    op.drop_table('waitlist_offers')
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_waitlist_entries_patient')
        batch_op.drop_index('ix_waitlist_entries_match')
        batch_op.drop_index('ix_waitlist_entries_list')

    op.drop_table('waitlist_entries')
