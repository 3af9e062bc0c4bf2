"""Cases, and the rows derived from their workflow state on every step (tasks, timers, events).

Lists never deserialize a workflow: the inbox, queue and case search read the derived rows,
which services rewrite in the same transaction as the state they come from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

MAX_ID_DIGITS = 18  # a row id is 64-bit: a longer number typed in a request names no row

class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    ERROR = "error", "Needs attention"


class Case(models.Model):
    force = models.ForeignKey("forces.Force", on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(max_length=20, unique=True)
    scheme = models.CharField(max_length=100, default="",
                              help_text="the process id of the case's scheme (set at start)")
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    stage = models.CharField(max_length=100, blank=True)
    version = models.ForeignKey("processes.ProcessVersion", on_delete=models.PROTECT,
                                related_name="cases")
    state = models.BinaryField(help_text="compressed spec-less workflow state (never jsonb)")
    marks = models.JSONField(null=True, blank=True,
                             help_text="the diagram's marks (completed and current elements, the "
                                       "process shown), rewritten with the derived rows at each "
                                       "step; null until the first step after it was added")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+",
                              help_text="the case officer who receives its next tasks")
    outcome_codes = models.JSONField(default=list)
    parties = models.JSONField(default=dict, blank=True,
                               help_text="party key -> names, as the version's scheme declares")
    people = models.JSONField(default=dict, blank=True,
                              help_text="party key -> each person's name and the details its "
                                        "party's search declares (aliases, date of birth, ...)")
    risks = models.JSONField(default=list, blank=True,
                             help_text="names of the declared risk markers the case data sets")
    next_due_at = models.DateTimeField(null=True, blank=True)
    timer_failures = models.PositiveIntegerField(default=0)
    revision = models.PositiveIntegerField(default=0, help_text="bumped by every engine step")
    retention_class = models.CharField(max_length=30, blank=True)
    review_due = models.DateField(null=True, blank=True)
    legal_hold = models.BooleanField(default=False)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["force", "status", "-opened_at"], name="case_force_status"),
            # Case list without a status filter: newest first, stops after a page.
            models.Index(fields=["force", "-opened_at", "-id"], name="case_force_opened"),
            models.Index(fields=["force", "scheme", "-opened_at", "-id"],
                         name="case_force_scheme"),
            models.Index(fields=["next_due_at"], name="case_next_due",
                         condition=Q(next_due_at__isnull=False)),
            # Retention reviews due (the access-log page): the force's closed cases not yet
            # erased, by review date, without reading years of closed cases.
            models.Index(fields=["force", "review_due"], name="case_review_due",
                         condition=Q(status="closed", erased_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("cases:case", args=[self.reference])


class CaseParty(models.Model):
    """One searchable detail of a case's party — a name, an alias, a date of birth, a postcode
    or a phone number — normalized for search (``webapp.cases.person_keys``); ``hidden_from``
    holds the roles the scheme hides it from, space-delimited (`` contact_handler ``) so a LIKE
    can exclude it. ``person`` is the same for every row of one person (their linking key)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="party_rows")
    # the case's force, copied so a search reads only its force's rows (person_search)
    force = models.ForeignKey("forces.Force", on_delete=models.CASCADE, related_name="+")
    party = models.CharField(max_length=50)
    kind = models.CharField(max_length=20, default="name")
    search = models.CharField(max_length=200)
    phonetic = models.CharField(max_length=200, blank=True,
                                help_text="phonetic keys of the words, space-delimited")
    person = models.CharField(max_length=250, blank=True,
                              help_text="normalized name and date of birth of the person")
    hidden_from = models.CharField(max_length=200, blank=True)
    # the case's opening, copied so the linked cases read a person's newest rows in index order
    opened_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["kind", "search"], name="caseparty_kind_search"),
                   # linked cases: the force's rows of a person, or of a phone number, newest
                   # first (a lookup reads at most its 200 rows, however many cases match;
                   # covering, so that no estimate makes a heap read look cheaper)
                   models.Index(fields=["force", "person", "-opened_at", "id"],
                                include=["case", "party", "hidden_from"], condition=Q(kind="name"),
                                name="caseparty_force_person"),
                   models.Index(fields=["force", "search", "-opened_at", "id"],
                                include=["case", "party", "hidden_from"], condition=Q(kind="phone"),
                                name="caseparty_force_phone")]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.party}"


class NameWord(models.Model):
    """One word of the party names (and aliases) of a force's cases, with how many of its cases
    hold it: the vocabulary a misspelt word of a person search is compared with
    (``person_search``), which grows with the force's names, not with its cases. Derived from
    ``CaseParty`` by ``name_words`` wherever those rows are written; a word goes when the last
    case holding it no longer does, or is erased."""

    force = models.ForeignKey("forces.Force", on_delete=models.CASCADE, related_name="+")
    word = models.CharField(max_length=200)
    cases = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["force", "word"],
                                               name="nameword_force_word")]

    def __str__(self) -> str:
        return f"{self.force_id}/{self.word}"


class CaseSequence(models.Model):
    """The last reference number issued per force and year (locked when issuing the next)."""

    force = models.ForeignKey("forces.Force", on_delete=models.CASCADE)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["force", "year"], name="case_seq_unique")]

    def __str__(self) -> str:
        return f"{self.force_id}/{self.year}: {self.last}"


class TaskState(models.TextChoices):
    READY = "ready", "Ready"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class HumanTask(models.Model):
    """A user task as the inbox shows it; rewritten from the engine after every step."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    force = models.ForeignKey("forces.Force", on_delete=models.PROTECT, related_name="+")
    engine_task_id = models.UUIDField()
    bpmn_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    lane = models.CharField(max_length=100)
    role = models.CharField(max_length=30)
    team = models.ForeignKey("forces.Team", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", help_text="the team the force routes the lane to")
    stage = models.CharField(max_length=100, blank=True)
    form_file = models.CharField(max_length=200, blank=True)
    instructions = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=TaskState.choices, default=TaskState.READY)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="tasks")
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    draft = models.JSONField(null=True, blank=True)
    at_risk = models.BooleanField(default=False, help_text="the case carries a risk marker")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "engine_task_id"],
                                               name="task_unique_engine_id")]
        indexes = [
            # Team queue: unassigned ready tasks by due time (stops after a page of matches).
            # Tasks of a case at risk come first.
            models.Index(fields=["force", "-at_risk", "due_at", "id"], name="task_queue_risk",
                         condition=Q(state="ready", assignee__isnull=True)),
            models.Index(fields=["force", "role", "-at_risk", "due_at", "id"],
                         name="task_queue_role_risk",
                         condition=Q(state="ready", assignee__isnull=True)),
            # Team queue sorted by due alone (either way: a backward scan for latest first).
            models.Index(fields=["force", "role", "due_at", "id"], name="task_queue_role_due",
                         condition=Q(state="ready", assignee__isnull=True)),
            # Team queue sorted by when the task was received (either way).
            models.Index(fields=["force", "role", "created_at", "id"],
                         name="task_queue_role_received",
                         condition=Q(state="ready", assignee__isnull=True)),
            # My tasks, by risk and due, or by when received.
            models.Index(fields=["assignee", "-at_risk", "due_at"], name="task_mine_risk",
                         condition=Q(state="ready")),
            models.Index(fields=["assignee", "created_at", "id"], name="task_mine_received",
                         condition=Q(state="ready")),
            # The heatmap (webapp.reports.heatmap): a force's tasks completed in a period, and
            # a case's tasks open at a moment, each read from the index alone.
            models.Index(fields=["force", "completed_at", "bpmn_id", "created_at", "case"],
                         name="task_heat_completed", condition=Q(state="completed")),
            models.Index(fields=["case", "created_at", "completed_at", "bpmn_id"],
                         name="task_heat_case"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.case.reference})"

    def get_absolute_url(self) -> str:
        return reverse("cases:task", args=[self.pk])


class TimerKind(models.TextChoices):
    PROCESS = "process", "Process timer"
    WARNING = "warning", "Clock warning"
    BREACH = "breach", "Clock breach"


class CaseTimer(models.Model):
    """Something due at a time: a waiting BPMN timer, or a clock's warning or breach.

    The sweeper fires those whose due time has passed; ``Case.next_due_at`` is their minimum.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(max_length=10, choices=TimerKind.choices, default=TimerKind.PROCESS)
    clock = models.CharField(max_length=20, blank=True)
    engine_task_id = models.UUIDField(null=True, blank=True)
    bpmn_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    stage = models.CharField(max_length=100, blank=True)
    due_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.name} due {self.due_at:%Y-%m-%d %H:%M}"


class EventKind(models.TextChoices):
    STARTED = "started", "Case recorded"
    COMPLETED = "completed", "Task completed"
    CLAIMED = "claimed", "Task claimed"
    RELEASED = "released", "Task released"
    ASSIGNED = "assigned", "Task assigned"
    DRAFT = "draft", "Draft saved"
    WITHDRAWN = "withdrawn", "Closed by request"
    TIMER = "timer", "Time limit reached"
    CLOCK = "clock", "Clock changed"
    INCIDENT = "incident", "Background step failed"
    MIGRATED = "migrated", "Moved to another process version"
    CLOSED = "closed", "Case closed"
    OWNER = "owner", "Owner changed"
    REASSIGNED = "reassigned", "Task reassigned"


class CaseEvent(models.Model):
    """What happened to a case: the source of its timeline (who, when, what changed)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    stage = models.CharField(max_length=100, blank=True)
    task_name = models.CharField(max_length=200, blank=True)
    bpmn_id = models.CharField(max_length=100, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    data = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["case", "at"], name="event_case_at")]
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case.reference} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class Incident(models.Model):
    """Background work on a case that failed repeatedly: a person must look and retry."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="incidents")
    force = models.ForeignKey("forces.Force", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, default="timer")
    attempts = models.PositiveIntegerField()
    message = models.CharField(max_length=500)
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["force", "resolved_at"], name="incident_open")]

    def __str__(self) -> str:
        return f"{self.kind} incident on {self.case_id}"


class EnquiryDraft(models.Model):
    """A new case's intake form as its author left it (one per author and scheme): kept so an
    idle sign-out loses nothing. Personal data: deleted when the case is recorded, purged after
    ``webapp.cases.drafts.DRAFT_DAYS``, and with its author's account; never logged."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    scheme = models.CharField(max_length=100)
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "scheme"],
                                               name="enquiry_draft_once")]

    def __str__(self) -> str:
        return f"draft of {self.scheme} by {self.user_id}"


# The case's notes and documents live in their own module; Django finds them through this one.
from webapp.cases.evidence_models import Attachment, AttachmentKind, CaseNote  # noqa: E402,F401
from webapp.cases.worklist_models import SavedView, WorklistPage  # noqa: E402,F401
