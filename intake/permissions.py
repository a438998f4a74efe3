"""Roles and the guards that lock a view or a whole blueprint to them."""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from flask import Blueprint, abort
from flask_login import current_user


class Role(StrEnum):
    PATIENT = "patient"
    FRONT_DESK = "front_desk"
    THERAPIST = "therapist"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.FRONT_DESK, Role.THERAPIST, Role.ADMIN})


def _check(roles: frozenset[Role]):
    """Anonymous visitors go to login; signed-in users without the role get 403. Admins pass
    every staff guard, but a patient-only page (their own forms) is for patients alone."""
    from .extensions import login_manager

    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    admin_passes = bool(roles & STAFF_ROLES)
    if current_user.role not in roles and not (admin_passes and current_user.role == Role.ADMIN):
        abort(403)
    return None


def role_required(*roles: Role) -> Callable:
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            return _check(allowed) or view(*args, **kwargs)

        return guarded

    return decorator


def guard_blueprint(bp: Blueprint, *roles: Role) -> None:
    """Lock every route of a blueprint at once, so no new view can forget its check."""
    allowed = frozenset(roles)
    bp.before_request(lambda: _check(allowed))
