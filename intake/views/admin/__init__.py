"""Administration: locations, providers, appointment types, consent versions, staff, audit.

The blueprint lives in .blueprint; importing the page modules here attaches their routes."""

from . import audit, consents, home, locations, provider_hours, providers, safety, types, users
from .blueprint import bp

__all__ = [
    "audit",
    "bp",
    "consents",
    "home",
    "locations",
    "provider_hours",
    "providers",
    "safety",
    "types",
    "users",
]
