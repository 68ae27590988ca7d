from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from files.accounts import tokens
from files.errors import ChuteError
from files.lifecycle import delete
from files.models import (
    Account,
    ApiToken,
    Delivery,
    LinkMail,
    Notification,
    Share,
    Upload,
    UploadRequest,
    Webhook,
)
from files.sizes import format_size
from files.upload_requests import guests, owners
from files.uploads import declarations


def _checked(clean: Callable[[str], str], value: str) -> str:
    """`value` through the domain's rule for its field, as the API and the pages apply it."""
    try:
        return clean(value)
    except ChuteError as error:
        raise ValidationError(error.message) from None


class UploadForm(forms.ModelForm):
    def clean_name(self) -> str:
        return declarations.sanitize_name(self.cleaned_data["name"])

    def clean_sender_name(self) -> str:
        return guests.clean_sender_name(self.cleaned_data["sender_name"])


class ApiTokenForm(forms.ModelForm):
    def clean_name(self) -> str:
        return _checked(tokens.clean_name, self.cleaned_data["name"])


class UploadRequestForm(forms.ModelForm):
    def clean_title(self) -> str:
        return _checked(owners.clean_title, self.cleaned_data["title"])

    def clean_message(self) -> str:
        return _checked(owners.clean_message, self.cleaned_data["message"])


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    form = UploadForm
    list_display = [
        "name",
        "owner",
        "human_size",
        "content_type",
        "status",
        "method",
        "created_at",
        "confirmed_at",
        "expires_at",
    ]
    list_filter = ["status", "method", "created_at", "confirmed_at"]
    search_fields = ["name", "key", "owner__username", "owner__email", "=id", "content_type"]
    readonly_fields = [
        "id",
        "key",
        "file",
        "etag",
        "checksum_sha256",
        "created_at",
        "updated_at",
        "confirmed_at",
    ]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    show_facets = admin.ShowFacets.ALLOW

    @admin.display(description="size", ordering="size")
    def human_size(self, upload: Upload) -> str:
        return format_size(upload.size)

    # Deleting here removes the bytes (and any multipart parts) from the bucket, then the row:
    # a row deleted alone would leave bytes nobody can find.
    def delete_model(self, request: HttpRequest, obj: Upload) -> None:
        delete.purge(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Upload]) -> None:
        for upload in queryset.iterator():
            delete.purge(upload)


class ShareStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(Share.State.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Share]) -> QuerySet[Share]:
        now = timezone.now()
        revoked = Q(revoked_at__isnull=False) | Q(upload__isnull=True, multi=False)
        used_up = Q(max_downloads__isnull=False, downloads__gte=F("max_downloads"))
        expired = Q(expires_at__lte=now)
        # The same precedence as Share.state(): revoked, then used up, then expired.
        conditions = {
            Share.State.REVOKED: revoked,
            Share.State.USED_UP: ~revoked & used_up,
            Share.State.EXPIRED: ~revoked & ~used_up & expired,
            Share.State.ACTIVE: ~revoked & ~used_up & ~expired,
        }
        value = self.value()
        if value in conditions:
            return queryset.filter(conditions[Share.State(value)])
        return queryset


@admin.register(Share)
class ShareAdmin(admin.ModelAdmin):
    list_display = [
        "link",
        "name",
        "owner",
        "state",
        "downloads",
        "max_downloads",
        "has_password",
        "expires_at",
        "created_at",
        "revoked_at",
    ]
    list_filter = [ShareStateFilter, "expires_at", "created_at"]
    search_fields = ["name", "token_prefix", "owner__username", "owner__email", "=upload__id"]
    # The token hash and password hash are never shown or edited: nothing here reopens a link.
    fields = [
        "id",
        "upload",
        "owner",
        "name",
        "token_prefix",
        "has_password",
        "expires_at",
        "max_downloads",
        "downloads",
        "last_download_at",
        "created_at",
        "revoked_at",
    ]
    # Only a link's limits may change here; everything else records what happened.
    readonly_fields = [
        name
        for name in fields
        if isinstance(name, str) and name not in {"expires_at", "max_downloads"}
    ]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A link made here would have no token anyone could see; owners make links.
        return False

    @admin.display(description="link", ordering="token_prefix")
    def link(self, share: Share) -> str:
        return f"{share.token_prefix}…"

    @admin.display(description="state")
    def state(self, share: Share) -> str:
        return share.state().label

    @admin.display(description="password", boolean=True)
    def has_password(self, share: Share) -> bool:
        return share.has_password

    @admin.action(description="Revoke selected links", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Share]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} link{'s' if count != 1 else ''}.")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = [
        "name",
        "owner",
        "token_prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["created_at", "last_used_at", "revoked_at"]
    search_fields = ["name", "token_prefix", "owner__username"]
    list_select_related = ["owner"]
    # The hash is never shown: nothing here can reopen a token.
    fields = ["id", "owner", "name", "token_prefix", "created_at", "last_used_at", "expires_at"]
    readonly_fields = ["id", "owner", "token_prefix", "created_at", "last_used_at"]
    actions = ["revoke_tokens"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a token made here could never be shown to its owner

    @admin.action(description="Revoke selected tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {revoked} token{'s' if revoked != 1 else ''}.")


@admin.register(UploadRequest)
class UploadRequestAdmin(admin.ModelAdmin):
    form = UploadRequestForm
    list_display = [
        "title",
        "owner",
        "link",
        "state",
        "files_received",
        "max_files",
        "max_bytes",
        "has_password",
        "expires_at",
        "created_at",
        "closed_at",
    ]
    list_filter = ["expires_at", "created_at", "closed_at"]
    search_fields = ["title", "token_prefix", "owner__username", "owner__email"]
    # The token hash and password hash are never shown or edited: nothing here reopens a link.
    fields = [
        "id",
        "owner",
        "title",
        "message",
        "token_prefix",
        "has_password",
        "expires_at",
        "max_files",
        "max_bytes",
        "created_at",
        "closed_at",
    ]
    readonly_fields = ["id", "owner", "token_prefix", "has_password", "created_at", "closed_at"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = ["close_requests"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[UploadRequest]:
        ready = Count("uploads", filter=Q(uploads__status=Upload.Status.READY))
        return super().get_queryset(request).annotate(ready_files=ready)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a request made here would have no link anyone could see

    @admin.display(description="link", ordering="token_prefix")
    def link(self, row: UploadRequest) -> str:
        return f"{row.token_prefix}…"

    @admin.display(description="state")
    def state(self, row: UploadRequest) -> str:
        return UploadRequest.State(guests.state(row)).label

    @admin.display(description="files received", ordering="ready_files")
    def files_received(self, row: UploadRequest) -> int:
        return row.ready_files  # type: ignore[attr-defined]

    @admin.display(description="password", boolean=True)
    def has_password(self, row: UploadRequest) -> bool:
        return row.has_password

    @admin.action(description="Close selected requests", permissions=["change"])
    def close_requests(self, request: HttpRequest, queryset: QuerySet[UploadRequest]) -> None:
        closed = queryset.filter(closed_at__isnull=True).update(closed_at=timezone.now())
        self.message_user(request, f"Closed {closed} request{'s' if closed != 1 else ''}.")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "verified_email",
        "notify_request_files",
        "notify_share_downloads",
        "notify_expiring",
    )
    search_fields = ("user__username", "verified_email")
    raw_id_fields = ("user",)


@admin.register(LinkMail)
class LinkMailAdmin(admin.ModelAdmin):
    """Links sent by email: who sent which link when, to how many; never to whom."""

    list_display = ("share", "sender", "count", "created_at", "sent_at")
    exclude = ("recipients",)
    readonly_fields = ("share", "sender", "count", "message", "created_at", "sent_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """Webhooks: uncheck "active" to pause one (its deliveries fail until it is active again)."""

    list_display = ["url", "owner", "events", "active", "created_at"]
    list_filter = ["active", "created_at"]
    list_editable = ["active"]
    search_fields = ["url", "owner__username", "=id"]
    readonly_fields = ["id", "owner", "url", "events", "created_at"]
    list_select_related = ["owner"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by their owners, who alone see the secret


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Each event owed to a webhook: its status, attempts and the receiver's last answer."""

    list_display = [
        "event",
        "webhook",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "last_attempt_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "last_attempt_at"]
    search_fields = ["webhook__url", "=event__id"]
    list_select_related = ["event", "webhook"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Mails owed to owners (files/notifications/): what, to whom, and each one's last error."""

    list_display = ("kind", "owner", "status", "attempts", "due_at", "sent_at", "last_error")
    list_filter = ("kind", "status")
    search_fields = ("owner__username",)
    readonly_fields = (
        "owner",
        "kind",
        "request",
        "share",
        "data",
        "status",
        "due_at",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
