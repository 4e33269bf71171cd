"""The application: command handlers that load aggregates, run one domain command, save.

app = OKRApplication(repository)
written = await app.key_results.record_check_in(ctx, kr_id, value=..., on=...)
"""

from services.app.access import AccessCommands
from services.app.base import Context, Written
from services.app.cycles import CycleCommands
from services.app.key_results import KeyResultCommands
from services.app.kpis import KpiCommands
from services.app.objectives import ObjectiveCommands
from services.app.settings import SettingsCommands
from services.store.repository import Repository

__all__ = ["Context", "OKRApplication", "Written"]


class OKRApplication:
    """All commands, grouped by the aggregate they change."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository
        self.cycles = CycleCommands(repository)
        self.objectives = ObjectiveCommands(repository)
        self.key_results = KeyResultCommands(repository)
        self.kpis = KpiCommands(repository)
        self.settings = SettingsCommands(repository)
        self.access = AccessCommands(repository)
