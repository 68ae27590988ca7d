from django.contrib import admin

from files.models import Upload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "size", "content_type", "status", "method", "created_at"]
    list_filter = ["status", "method", "created_at"]
    search_fields = ["name", "key", "owner__username"]
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
