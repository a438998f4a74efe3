"""Absolute links for emails and calendar feeds, from the configured base URL only.

A link built from the request's Host header would let anyone who can send a request make
the clinic mail its patients a link to another site; INTAKE_BASE_URL is the one source."""

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values) -> str:
    """The endpoint's URL under INTAKE_BASE_URL, whatever host the request named; in a
    command (the outbox worker) there is no request, so the path comes from the URL map."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["INTAKE_BASE_URL"].rstrip("/") + path


_ID_MARK = 918273645  # an id no table reaches, replaced by "{id}"


def patient_visit_url() -> str:
    """The patient's own visit page with "{id}" for its number: emails link to it, and a
    patient signed out is sent to sign in and then lands on it (the login's `next`)."""
    url = external_url("appointments.show", appointment_id=_ID_MARK)
    return url.replace(str(_ID_MARK), "{id}")
