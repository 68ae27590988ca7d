"""The webhooks page: register a webhook (its signing secret shown once), see the latest
deliveries and the answers they got, delete one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.views.decorators.http import require_http_methods

from files.models import Event
from files.web.http import AuthenticatedRequest
from files.web.pages.forms import WebhookForm, parse
from files.web.pages.owner import Context, create_or_revoke, owner_page
from files.webhooks import registration
from files.webhooks.errors import InvalidWebhook, WebhookNotFound

EVENT_HELP = {
    Event.Type.FILE_READY: "a file you or a guest uploaded is stored and ready",
    Event.Type.REQUEST_RECEIVED: "a file arrived through one of your upload requests",
    Event.Type.SHARE_DOWNLOADED: "someone downloaded through one of your links",
}


@require_http_methods(["GET", "POST"])
@login_required
def webhooks(request: AuthenticatedRequest) -> HttpResponse:
    def delete(webhook_id: str) -> Context:
        registration.delete(registration.get_owned(request.user, webhook_id))
        return {"notice": "The webhook was deleted; nothing more is sent to it."}

    def create(data: QueryDict) -> Context:
        values = parse(WebhookForm(data), InvalidWebhook)
        new = registration.create(request.user, url=values["url"], events=values["events"])
        return {"created": new}

    def already_sent(made: Context) -> str:
        return (
            f"This form was already sent: the webhook to {made['created'].row.url} was added "
            "then, and its signing secret was shown once. Delete it and add a new one if you "
            "lost the secret."
        )

    context, status = create_or_revoke(
        request,
        action="delete",
        revoke=delete,
        create=create,
        errors=(InvalidWebhook, WebhookNotFound),
        already_sent=already_sent,
    )
    form = context.get("form")
    chosen = form.getlist("events") if form is not None else [Event.Type.FILE_READY.value]
    context |= {
        "event_choices": [
            {"value": kind.value, "help": EVENT_HELP[kind], "checked": kind.value in chosen}
            for kind in Event.Type
        ],
        "webhooks": registration.webhooks_of(request.user),
        "max_webhooks": registration.MAX_WEBHOOKS,
    }
    return owner_page(request, "files/webhooks.html", context, status)
