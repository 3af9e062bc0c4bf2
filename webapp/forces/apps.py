from django.apps import AppConfig


class ForcesConfig(AppConfig):
    name = "webapp.forces"
    label = "forces"
    verbose_name = "Forces"
