"""adverse event callbacks: a serious adverse event opens the front desk's follow-up call

Revision ID: 0018_adverse_event_callbacks
Revises: 0017_outbox_calendar
Create Date: 2026-12-03 16:30:00

A callback may now come from a signed session note ('adverse_event'), and each adverse event
keeps the callback its follow-up went to, so the admins' register shows who followed up; an
event found after the visit keeps the addendum that reported it.

The events' columns are plain ADD COLUMNs (0011's way: SQLite adds a reference only with its
column). The callbacks' CHECK on source changes: PostgreSQL drops and adds it; SQLite keeps a
CHECK inside its CREATE TABLE, so the table is rebuilt, with foreign keys off as in 0014 (call
logs refer to it); the rebuild keeps the other CHECKs but loses the list index's DESC, so the
index is made again.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_adverse_event_callbacks'
down_revision = '0017_outbox_calendar'
branch_labels = None
depends_on = None

SOURCE_CHECK = 'ck_callbacks_callback_source_known'
SOURCES_BEFORE = ('intake', 'check_in')
SOURCES_AFTER = ('intake', 'check_in', 'adverse_event')


def _sources(values) -> str:
    return 'source IN (' + ', '.join(f"'{value}'" for value in values) + ')'


def _source_check(values):
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f(SOURCE_CHECK), 'callbacks', type_='check')
        op.create_check_constraint(op.f(SOURCE_CHECK), 'callbacks', _sources(values))
        return
    # The PRAGMA takes effect only between transactions: end alembic's, rebuild in one of our
    # own, check every reference, and turn the keys back on (0014 does the same for users).
    raw = op.get_bind().connection.dbapi_connection
    raw.commit()
    raw.execute('PRAGMA foreign_keys = OFF')
    try:
        raw.execute('BEGIN')
        with op.batch_alter_table('callbacks', recreate='always') as batch_op:
            batch_op.drop_constraint(op.f(SOURCE_CHECK), type_='check')
            batch_op.create_check_constraint(op.f(SOURCE_CHECK), _sources(values))
        # The rebuild copies the index without its DESC: make it again as 0010 did.
        op.drop_index('ix_callbacks_list', table_name='callbacks')
        op.create_index(
            'ix_callbacks_list', 'callbacks',
            ['status', sa.column('urgent').desc(), 'opened_at', 'id'], unique=False,
        )
        broken = raw.execute('PRAGMA foreign_key_check').fetchall()
        if broken:
            raise RuntimeError(f'rebuilding callbacks broke {len(broken)} references')
        raw.commit()
    finally:
        raw.rollback()
        raw.execute('PRAGMA foreign_keys = ON')
        raw.execute('BEGIN')  # alembic records the revision in it and commits


# adverse_events column -> the table it refers to
REFERENCES = {'callback_id': 'callbacks', 'addendum_id': 'needling_addenda'}


def _fk(column: str) -> str:
    return f'fk_adverse_events_{column}_{REFERENCES[column]}'


def upgrade():
    _source_check(SOURCES_AFTER)
    for column, table in REFERENCES.items():
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(
                f'ALTER TABLE adverse_events ADD COLUMN {column} INTEGER '
                f'CONSTRAINT {_fk(column)} REFERENCES {table} (id)'
            )
        else:
            op.add_column('adverse_events', sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(
                op.f(_fk(column)), 'adverse_events', table, [column], ['id']
            )


def downgrade():
    # Fails while a callback came from an adverse event: close and re-source those first.
    for column in REFERENCES:
        if op.get_bind().dialect.name != 'sqlite':
            op.drop_constraint(op.f(_fk(column)), 'adverse_events', type_='foreignkey')
        op.drop_column('adverse_events', column)
    _source_check(SOURCES_BEFORE)
