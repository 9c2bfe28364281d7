"""Listening's background work: evaluating alert rules and e-mailing alerts (tasks take ids, run twice harmlessly)."""

from django.tasks import task


@task()
def evaluate_alert_rule(rule_id: int) -> dict:
    """Evaluate one alert rule now: open, update or end its alert."""
    from .alerts import evaluate_rule

    outcome = evaluate_rule(rule_id)
    return {"alert": outcome.alert.pk if outcome.alert else None, "opened": outcome.opened, "ended": outcome.ended}


@task(queue_name="deliver")
def send_alert_mail(alert_id: int, escalation: bool = False) -> int:
    """E-mail an alert to the members who manage listening, once (and once more if it escalates)."""
    from .alerts import send_alert_mail as send

    return send(alert_id, escalation)
