"""The communication-log panel of the case page: the case's calls, messages, visits and letters
with the customer, and the form to log one (three queries: entries, reply templates, and the
request context's own)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from manyi.cases.comm_forms import CommunicationForm
from manyi.cases.models import Case

register = template.Library()


@register.simple_tag(takes_context=True)
def communications_panel(context: Any, case: Case) -> SafeString:
    from manyi.cases.comm_views import active_templates

    entries = list(case.communications.select_related("by").order_by("-at", "-id"))
    form = context.get("comm_form")
    if not isinstance(form, CommunicationForm):
        form = CommunicationForm(
            initial={"version": case.version}, templates=active_templates(case)
        )
    form.fields["template"].widget.attrs.update(
        {
            "hx-get": reverse("cases:comm_fill", args=[case.pk]),
            "hx-trigger": "change",
            "hx-target": "#id_comm_content",
            "hx-swap": "outerHTML",
            "hx-include": "closest form",
        }
    )
    user = context.get("user")
    return render_to_string(
        "cases/_communications.html",
        {
            "case": case,
            "entries": entries,
            "form": form,
            "comm_flash": context.get("comm_flash"),
            "can_manage": bool(getattr(user, "is_org_admin", False)),
        },
        request=context.get("request"),
    )
