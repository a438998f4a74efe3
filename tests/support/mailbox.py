"""Send what the outbox holds, as the `outbox work` process would, for tests reading mail."""

from intake.services.outbox import DeliveryReport, deliver_due


def deliver_outbox(app) -> DeliveryReport:
    with app.app_context():
        return deliver_due(app.config)
