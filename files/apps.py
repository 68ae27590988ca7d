from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "files"
    verbose_name = "Files"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from files import checks  # noqa: F401  (registers the system checks)
        from files.lifecycle import sweeps

        # Whatever deletes an upload's row, the cleanup later looks under its key.
        post_delete.connect(sweeps.remember_deleted, sender="files.Upload", weak=False)
