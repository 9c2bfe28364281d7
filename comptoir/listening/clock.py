"""The clock claims the alert rules whose check is due and enqueues their evaluation."""

from django.db import transaction
from django.utils import timezone

from comptoir.clock import claims

from .models import AlertRule


@claims.register("listening_alert_rules")
def claim_due_alert_rules() -> list[int]:
    from .alerts import CHECK_EVERY
    from .tasks import evaluate_alert_rule

    now = timezone.now()
    due = AlertRule.objects.filter(enabled=True, next_check_at__lte=now)
    # The claim moves next_check_at one period ahead: a worker that dies only delays the check to the next one.
    won = claims.claim_due(due, "next_check_at", lambda rule: {"next_check_at": now + CHECK_EVERY})
    for pk in won:
        transaction.on_commit(lambda pk=pk: evaluate_alert_rule.enqueue(pk))
    return won
