"""Staff accounts: list, invite, resend the invitation, change role, deactivate, reactivate."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ...config import current_settings
from ...formatting import clinic_today
from ...forms import InviteForm, PostForm, RoleForm
from ...links import external_url
from ...models import User, utcnow
from ...permissions import Role
from ...services import admin_users
from ...services.admin_common import AdminRefused
from .blueprint import bp, form_status, show_refusal


def _set_password_link(token: str) -> str:
    return external_url("account.choose_password", token=token)


def _member(user_id: int) -> User:
    return admin_users.staff_member(user_id) or abort(404)


@bp.get("/users")
def users():
    return render_template("admin/users.html", users=admin_users.staff())


@bp.route("/users/invite", methods=["GET", "POST"])
def invite_user():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = admin_users.invite(
                form.first_name.data,
                form.last_name.data,
                form.email.data,
                Role(form.role.data),
                current_user,
                _set_password_link,
                current_settings(),
            )
        except AdminRefused as refusal:
            show_refusal(form, refusal)
        else:
            flash(
                f"{user.full_name} is invited: we are emailing them a link to set a password.",
                "success",
            )
            return redirect(url_for("admin.show_user", user_id=user.id))
    return render_template("admin/user_invite.html", form=form), form_status(form)


@bp.get("/users/<int:user_id>")
def show_user(user_id: int):
    user = _member(user_id)
    return _page(user, RoleForm(role=user.role))


def _page(user: User, role_form: RoleForm):
    return render_template(
        "admin/user_show.html",
        user=user,
        role_form=role_form,
        form=PostForm(),
        booked=admin_users.booked_ahead(user, utcnow()),
        today=clinic_today(),
    ), form_status(role_form)


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    user = _member(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            admin_users.change_role(user, Role(form.role.data), current_user)
        except AdminRefused as refusal:
            show_refusal(form, refusal)
        else:
            flash(f"{user.full_name} is now {admin_users.ROLE_NAMES[Role(user.role)]}.", "success")
            return redirect(url_for("admin.show_user", user_id=user.id))
    return _page(user, form)


@bp.post("/users/<int:user_id>/resend")
def resend_invitation(user_id: int):
    user = _member(user_id)
    if PostForm().validate_on_submit():
        try:
            admin_users.send_invitation(user, current_user, _set_password_link, current_settings())
        except AdminRefused as refusal:
            flash(str(refusal), "error")
        else:
            flash(f"We are emailing {user.email} a new link to set a password.", "success")
    return redirect(url_for("admin.show_user", user_id=user.id))


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int):
    return _set_active(_member(user_id), False)


@bp.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id: int):
    return _set_active(_member(user_id), True)


def _still_booked(user: User, booked: admin_users.BookedAhead) -> str:
    visits = "1 visit is" if booked.visits == 1 else f"{booked.visits} visits are"
    return (
        f"{visits} still booked with {user.full_name} from now on: the front desk has to "
        "move or cancel each one (the request queue, filtered by this provider)."
    )


def _set_active(user: User, active: bool):
    if PostForm().validate_on_submit():
        try:
            admin_users.set_active(user, active, current_user)
        except AdminRefused as refusal:
            flash(str(refusal), "error")
        else:
            state = "active again" if active else "deactivated: they can no longer sign in"
            flash(f"{user.full_name} is {state}.", "success")
            if not active and (booked := admin_users.booked_ahead(user, utcnow())):
                flash(_still_booked(user, booked), "warning")
    return redirect(url_for("admin.show_user", user_id=user.id))
