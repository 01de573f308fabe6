from django.apps import AppConfig


class CreatorsConfig(AppConfig):
    name = "creators"
    verbose_name = "Creators"

    def ready(self) -> None:
        # Register the Celery tasks in every process (web, command, worker): services
        # enqueue them by name (``creators.services.recalc``) without importing this module.
        from creators import tasks  # noqa: F401
