"""Demo of the watch: alert rules, the alerts the demo's month of mentions really raises, a crisis playbook,
a closed crisis with its retrospective and one under way, and contents saved to share.

It runs after the topics' demo (a brand, a competitor and a month of mentions with a spike a few days ago)
and reads what is there: the alerts come from the real evaluation replayed over the month, not from
made-up figures. Running it again changes nothing.
"""

from datetime import timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from comptoir.workspaces import audit

from . import alerts, curation, incidents
from .models import (
    Alert,
    AlertRule,
    Curation,
    Incident,
    IncidentItem,
    IncidentStep,
    Mention,
    PlaybookStep,
    Topic,
)

DEMO = {
    "velo-lyon": {
        "keyword": 'ambulance* OR accident* OR "vol de vélo"',
        "playbook": [
            ("call", "Prévenir la présidente de l’association", "Claire Dubois – 06 12 34 56 78 (SMS si elle est en réunion)."),
            ("call", "Appeler le responsable de l’atelier", "Julien – 06 98 76 54 32. Lui demander les faits avant toute réponse publique."),
            ("statement", "Déclaration d’attente sur les réseaux",
             "Nous avons connaissance des messages au sujet de … Nous vérifions ce qui s’est passé avec les bénévoles "
             "présents et revenons vers vous avant 18 h. Merci de votre patience."),
            ("action", "Suspendre les publications programmées", "Mettre en pause les publications des 48 prochaines heures, "
             "sauf les informations pratiques."),
            ("action", "Répondre en privé aux adhérents concernés", "Proposer un rendez-vous à l’atelier ou un appel ; ne pas "
             "débattre en public."),
            ("statement", "Message aux adhérents", "Bonjour à toutes et à tous, suite aux échanges de ces derniers jours, voici ce "
             "que nous avons décidé…"),
        ],
        "closed": ("Atelier fermé sans prévenir : grogne des adhérents",
                   "Samedi, l’atelier de réparation est resté fermé sans annonce. Une vingtaine d’adhérents venus pour rien "
                   "l’ont fait savoir sur Mastodon et le forum ; un compte local très suivi a relayé.",
                   "Annoncer toute fermeture la veille sur le forum et Mastodon. Donner au responsable de l’atelier les accès "
                   "pour publier lui-même une information pratique. La déclaration d’attente a calmé les échanges en deux heures."),
        "open": "Ambulance bloquée pendant la vélorution",
        "link": ("https://www.lyon.fr/actualite/mobilite/nouvelles-pistes-cyclables", "12 km de nouvelles pistes cyclables",
                 "À relayer avec nos photos de la balade de samedi."),
    },
    "maison-lumiere": {
        "keyword": 'rougeur* OR allergi* OR irritation* OR "effet secondaire"',
        "playbook": [
            ("call", "Appeler la directrice de la communication", "Sophie Marchand – 06 45 78 12 90, jour et nuit en cas de crise."),
            ("call", "Prévenir le service qualité", "qualite@maison-lumiere.example – 04 72 00 00 00. Demander les numéros de lots."),
            ("statement", "Déclaration d’attente",
             "Nous avons connaissance des messages signalant des réactions après utilisation de … Nous les prenons très "
             "au sérieux : notre service qualité analyse les lots concernés et nous reviendrons vers vous d’ici demain "
             "midi. Si vous constatez une réaction, cessez l’utilisation et écrivez-nous en message privé."),
            ("action", "Suspendre les publications sponsorisées", "Mettre en pause les campagnes en cours sur tous les réseaux."),
            ("action", "Préparer une FAQ pour le service client", "Réponses validées par le service qualité, mises à jour chaque jour."),
        ],
        "closed": ("Retards de livraison du transporteur",
                   "Un retard du transporteur a bloqué près de 300 commandes pendant cinq jours. Les plaintes se sont "
                   "concentrées sur Bluesky et les avis ; la concurrence en a profité pour mettre en avant sa livraison express.",
                   "Prévenir les clientes par e-mail dès qu’un retard dépasse 48 heures, avec un geste commercial. Tenir une "
                   "réponse type prête pour le service client. Nommer un référent transporteur joignable le week-end."),
        "open": "Rougeurs après le nouveau sérum éclat",
        "link": ("https://www.lsa-conso.fr/cosmetiques-bio-les-francaises-plebiscitent-le-rechargeable",
                 "Cosmétiques bio : les Françaises plébiscitent le rechargeable",
                 "Bon angle pour parler de nos flacons en verre recyclé."),
    },
}


def add_demo_watch() -> int:
    """Add the watch to the demo workspaces that have topics and mentions. Returns how many workspaces it filled."""
    from comptoir.workspaces.models import Membership, Workspace
    from comptoir.workspaces.roles import Role

    filled = 0
    for slug, spec in DEMO.items():
        workspace = Workspace.objects.filter(slug=slug, is_demo=True).first()
        brand = Topic.objects.filter(workspace=workspace, kind=Topic.Kind.BRAND).order_by("pk").first() if workspace else None
        if brand is None or not Mention.objects.filter(topic=brand).exists():
            continue
        member = (Membership.objects.select_related("workspace", "user").filter(workspace=workspace, role=Role.MANAGER)
                  .order_by("pk").first())
        if member is None or AlertRule.objects.filter(workspace=workspace).exists():
            continue
        with audit.via("system"):
            rules = _rules(member, brand, spec)
            _replay(rules)
            _playbook(member, spec)
            _incidents(member, brand, spec)
            _curation(member, brand, spec)
        filled += 1
    return filled


def _rules(member, brand: Topic, spec: dict) -> list[AlertRule]:
    author = (Mention.objects.filter(topic=brand, item__author__isnull=False).values("item__author__handle")
              .annotate(n=Count("pk")).order_by("-n", "item__author__handle").first())
    data = [
        alerts.RuleData(name=f"Pic de mentions : {brand.name}", kind=AlertRule.Kind.SPIKE, topic=brand, min_mentions=8),
        alerts.RuleData(name=f"Vague négative : {brand.name}", kind=AlertRule.Kind.NEGATIVE, topic=brand, min_mentions=5),
        alerts.RuleData(name="Mots sensibles", kind=AlertRule.Kind.KEYWORD, topic=None, value=spec["keyword"], email=False),
    ]
    if author:
        data.append(alerts.RuleData(name=f"Auteur surveillé : @{author['item__author__handle']}", kind=AlertRule.Kind.AUTHOR,
                                    topic=brand, value=author["item__author__handle"], email=False))
    return [alerts.do_save_rule(member, d) for d in data]


def _replay(rules: list[AlertRule]) -> None:
    """Evaluate the volume rules as the clock would have over the month, at the end of each hour that could ring
    (at least the rule's minimum) and hour by hour while an alert is open. No e-mail for the past."""
    now = timezone.now()
    for rule in rules:
        if rule.kind not in (AlertRule.Kind.SPIKE, AlertRule.Kind.NEGATIVE):
            continue
        mentions = Mention.objects.filter(topic=rule.topic, published_at__gte=now - timedelta(days=35), published_at__lt=now)
        if rule.kind == AlertRule.Kind.NEGATIVE:
            mentions = mentions.filter(sentiment="negative")
        hours = (mentions.annotate(hour=TruncHour("published_at")).values("hour").annotate(n=Count("pk"))
                 .filter(n__gte=rule.min_mentions).order_by("hour").values_list("hour", flat=True))
        done = set()
        for hour in hours:
            t = hour + alerts.HOUR
            while t <= now and t not in done:
                done.add(t)
                outcome = alerts.evaluate_rule(rule.pk, t, notify=False)
                if outcome.alert is None or outcome.ended:
                    break
                t += alerts.HOUR
    # The replay is history: the clock starts from now.
    AlertRule.objects.filter(pk__in=[r.pk for r in rules]).update(next_check_at=now, last_checked_at=now)


def _playbook(member, spec: dict) -> None:
    if PlaybookStep.objects.filter(workspace_id=member.workspace_id).exists():
        return
    for kind, title, detail in spec["playbook"]:
        incidents.do_add_playbook_step(member, incidents.StepData(kind, title, detail))


def _incidents(member, brand: Topic, spec: dict) -> None:
    if Incident.objects.filter(workspace_id=member.workspace_id).exists():
        return
    now = timezone.now()
    # Three weeks ago, a smaller crisis, handled and closed two days later with its retrospective.
    title, summary, lessons = spec["closed"]
    opened = now - timedelta(days=21)
    closed = incidents.do_open_incident(member, incidents.IncidentData(
        title=title, severity=Incident.Severity.SERIOUS, topic=brand, collect_since=opened - timedelta(hours=6)))
    _backdate(closed, opened)
    for step in closed.steps.order_by("position")[:4]:
        incidents.do_set_step_done(member, closed, step, True, "")
        IncidentStep.objects.filter(pk=step.pk).update(done_at=opened + timedelta(minutes=15 + 20 * step.position))
    incidents.do_close_incident(member, closed, summary, lessons)
    ended = opened + timedelta(days=2)
    Incident.objects.filter(pk=closed.pk).update(closed_at=ended)
    # Closed two days after it opened: what the topic said afterwards was never part of it.
    IncidentItem.objects.filter(incident=closed, item__published_at__gt=ended).delete()
    # The bad buzz of a few days ago, still being handled: opened from the negative surge the replay raised.
    raised = list(Alert.objects.filter(workspace_id=member.workspace_id).order_by("-started_at"))
    surge = next((a for a in raised if a.kind == AlertRule.Kind.NEGATIVE), None)
    spike = next((a for a in raised if a.kind == AlertRule.Kind.SPIKE), None)
    current = incidents.do_open_incident(member, incidents.IncidentData(
        title=spec["open"], severity=Incident.Severity.CRISIS, topic=brand, alert=surge,
        collect_since=None if surge else now - timedelta(hours=8)))
    started = surge.started_at + timedelta(minutes=40) if surge else now - timedelta(hours=3)
    _backdate(current, started)
    if spike is not None:
        # The same buzz raised a spike: it is followed in the incident, so the team closed it.
        alerts.do_close_alert(member, spike)
    for position, note in ((1, "Prévenue, elle valide la déclaration d’attente."), (3, "")):
        step = current.steps.filter(position=position).first()
        if step is not None:
            incidents.do_set_step_done(member, current, step, True, note)
            IncidentStep.objects.filter(pk=step.pk).update(done_at=started + timedelta(minutes=10 * position))


def _backdate(incident: Incident, opened) -> None:
    Incident.objects.filter(pk=incident.pk).update(opened_at=opened)
    incident.refresh_from_db()


def _curation(member, brand: Topic, spec: dict) -> None:
    if Curation.objects.filter(workspace_id=member.workspace_id).exists():
        return
    good = list(Mention.objects.filter(topic=brand).filter(Q(sentiment="positive"))
                .order_by("-reach", "-published_at").values_list("item_id", flat=True)[:4])
    notes = ["Super retour, à remercier publiquement.", "À relayer avec une photo de l’équipe.",
             "Idéal pour la lettre mensuelle.", ""]
    for item_id, note in zip(good, notes, strict=False):
        curation.do_curate(member, [item_id], note)
    url, title, note = spec["link"]
    curation.do_curate_link(member, url, note, title)
    saved = list(Curation.objects.filter(workspace_id=member.workspace_id).order_by("saved_at", "pk"))
    if len(saved) >= 3:
        curation.do_make_draft(member, saved[0])
        curation.do_set_curation_status(member, saved[1], Curation.Status.SHARED)
