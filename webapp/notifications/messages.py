"""The words of a notification email: a subject with the case reference, what happened in
generic words and an absolute link. Never a name, a form answer or anything a person typed."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage

from webapp.notifications.models import Kind, Notice

SUBJECTS: dict[str, str] = {
    Kind.TASK_ASSIGNED: "Task assigned",
    Kind.TASK_RETURNED: "Task back with you",
    Kind.CLOCK_WARNING: "Time limit soon",
    Kind.CLOCK_BREACH: "Time limit passed",
    Kind.EXTENSION_REQUESTED: "Extension asked for",
    Kind.EXTENSION_DECIDED: "Extension decided",
}
FOOTER = ("This email gives only a case reference and a link. Sign in to see the case.\n"
          "Choose which emails you get: {link}\n")


def link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _line(notice: Notice) -> str:
    what = f"{SUBJECTS[notice.kind]}: {notice.words}" if notice.words else SUBJECTS[notice.kind]
    return f"{notice.reference} - {what}\n{link(notice.path)}\n"


def _preferences_link() -> str:
    return link("/account/notifications/")


def one_notice(notice: Notice, address: str) -> EmailMessage:
    body = (f"{_line(notice)}\n" + FOOTER.format(link=_preferences_link()))
    return EmailMessage(subject=f"{SUBJECTS[notice.kind]}: {notice.reference}", body=body,
                        to=[address])


def digest(notices: Sequence[Notice], address: str) -> EmailMessage:
    lines = "\n".join(_line(n) for n in notices)
    body = (f"Since your last summary, {len(notices)} thing(s) happened on your cases:\n\n"
            f"{lines}\n" + FOOTER.format(link=_preferences_link()))
    return EmailMessage(subject=f"Daily summary: {len(notices)} update(s)", body=body,
                        to=[address])
