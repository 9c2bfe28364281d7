import importlib
import pkgutil
from pathlib import Path

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "comptoir.connectors"
    verbose_name = _("Connectors")

    def ready(self) -> None:
        # Each network sub-package registers its client class when imported.
        for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
            if module.ispkg and (Path(__file__).parent / module.name / "client.py").exists():
                importlib.import_module(f"{__package__}.{module.name}.client")
