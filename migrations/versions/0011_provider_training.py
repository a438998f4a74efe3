"""provider training: the dry-needling course and an admin's attestation of competence

Revision ID: 0011_provider_training
Revises: 0010_callbacks
Create Date: 2026-12-03 03:00:00

Plain ADD COLUMNs, no batch rebuild: on SQLite a rebuild drops the providers table, and with
foreign keys on that would cascade to their working hours and locations. Existing providers
start without an attestation: an admin records one before they can be booked for dry needling.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_provider_training'
down_revision = '0010_callbacks'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'providers',
        sa.Column('training_course', sa.String(length=200), server_default='', nullable=False),
    )
    op.add_column('providers', sa.Column('training_completed_on', sa.Date(), nullable=True))
    op.add_column('providers', sa.Column('attested_on', sa.Date(), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a reference only with its column (ADD COLUMN ... REFERENCES).
        op.execute(
            'ALTER TABLE providers ADD COLUMN attested_by_id INTEGER '
            'CONSTRAINT fk_providers_attested_by_id_users REFERENCES users (id)'
        )
    else:
        op.add_column('providers', sa.Column('attested_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_providers_attested_by_id_users'), 'providers', 'users',
            ['attested_by_id'], ['id'],
        )


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(
            op.f('fk_providers_attested_by_id_users'), 'providers', type_='foreignkey'
        )
    # SQLite 3.35+ drops a column in place (one with a reference too, as nothing indexes it).
    for name in ('attested_by_id', 'attested_on', 'training_completed_on', 'training_course'):
        op.drop_column('providers', name)
