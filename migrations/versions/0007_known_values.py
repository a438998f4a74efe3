"""status-like columns take only their known values: review outcome, event statuses, screening level

users.role and appointments.status already had their CHECK constraints (0001, 0003); the models
now map them as enums with the same constraint names, so they need nothing here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:00:00

"""
from alembic import op

from intake import guards

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

STATUSES = "('requested', 'confirmed', 'declined', 'cancelled', 'completed', 'no_show')"
# table -> (constraint, condition); NULL passes a CHECK, so the columns stay optional.
KNOWN = {
    'appointments': [
        ('ck_appointments_review_outcome_known', "review_outcome IN ('cleared', 'not_suitable')"),
    ],
    'appointment_events': [
        ('ck_appointment_events_from_status_known', f'from_status IN {STATUSES}'),
        ('ck_appointment_events_to_status_known', f'to_status IN {STATUSES}'),
    ],
    'intakes': [
        ('ck_intakes_screening_level_known',
         "screening_level IN ('absolute', 'area_specific', 'precaution', 'red_flag')"),
    ],
}


def _rebuilt_appointments_guard():
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite's batch mode rebuilt the table, and with it dropped its triggers.
        for statement in guards.no_overlap_sql('appointments', 'sqlite'):
            op.execute(statement)


def upgrade():
    # A row holding anything else makes this fail: fix the row, then run it again.
    for table, checks in KNOWN.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks:
                batch_op.create_check_constraint(op.f(name), condition)
    _rebuilt_appointments_guard()


def downgrade():
    for table, checks in KNOWN.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in checks:
                batch_op.drop_constraint(op.f(name), type_='check')
    _rebuilt_appointments_guard()
