"""patient contact: phone and date of birth on the account; email optional for a caller

Revision ID: 0014_patient_contact
Revises: 0013_check_ins
Create Date: 2026-12-03 07:00:00

The front desk finds patients by phone and date of birth and creates accounts for callers who
have no email (and no password: an empty hash no password matches). Each patient's phone and
date of birth are copied from their current intake.

SQLite makes a column nullable only by rebuilding the table; every other table refers to
users, and dropping the old one would break their references for a moment, so foreign keys
are off during the rebuild (the new table holds the same ids). Its CHECK on role is given
again: batch mode does not copy CHECKs.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_patient_contact"
down_revision = "0013_check_ins"
branch_labels = None
depends_on = None

ROLE_KNOWN = "role IN ('patient', 'front_desk', 'therapist', 'admin')"


def _email_nullable(nullable: bool):
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('users', 'email', existing_type=sa.String(length=254), nullable=nullable)
        return
    # The PRAGMA takes effect only between transactions: end the one open (alembic's, which
    # holds the steps so far), rebuild in a transaction of our own, check every reference,
    # and turn the keys back on before the connection goes back to the pool.
    raw = op.get_bind().connection.dbapi_connection
    raw.commit()
    raw.execute('PRAGMA foreign_keys = OFF')
    try:
        raw.execute('BEGIN')
        with op.batch_alter_table(
            'users',
            recreate='always',
            table_args=(sa.CheckConstraint(ROLE_KNOWN, name=op.f('ck_users_role_known')),),
        ) as batch_op:
            batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=nullable)
        broken = raw.execute('PRAGMA foreign_key_check').fetchall()
        if broken:
            raise RuntimeError(f'rebuilding users broke {len(broken)} references')
        raw.commit()
    finally:
        raw.rollback()
        raw.execute('PRAGMA foreign_keys = ON')
        raw.execute('BEGIN')  # alembic records the revision in it and commits


def upgrade():
    op.add_column("users", sa.Column("phone", sa.String(length=20), nullable=True))
    op.add_column("users", sa.Column("born_on", sa.Date(), nullable=True))
    _email_nullable(True)
    op.create_index(op.f("ix_users_phone"), "users", ["phone"], unique=False)
    op.create_index(op.f("ix_users_born_on"), "users", ["born_on"], unique=False)
    op.create_index(
        "ix_users_role_name", "users", ["role", "last_name", "first_name", "id"], unique=False
    )
    op.execute(
        "UPDATE users SET "
        "phone = (SELECT i.phone FROM intakes i "
        "         WHERE i.patient_id = users.id AND i.superseded_at IS NULL), "
        "born_on = (SELECT i.born_on FROM intakes i "
        "           WHERE i.patient_id = users.id AND i.superseded_at IS NULL) "
        "WHERE role = 'patient'"
    )


def downgrade():
    # Fails while an account has no email: give each one an address first.
    op.drop_index("ix_users_role_name", table_name="users")
    op.drop_index(op.f("ix_users_born_on"), table_name="users")
    op.drop_index(op.f("ix_users_phone"), table_name="users")
    _email_nullable(False)
    op.drop_column("users", "born_on")
    op.drop_column("users", "phone")
