from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "webapp.administration"
    label = "administration"
    verbose_name = "Force administration"
