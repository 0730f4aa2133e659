from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo community (``seed_demo``), seeded through the real services of every app."""

    name = "demo"
    verbose_name = "Demo"
