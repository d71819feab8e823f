"""Export jobs (queue `default`)."""
from app.services import exports


def run_export(export_id: str) -> None:
    """Write one user's data export; the Export row records progress and outcome."""
    exports.write_export(export_id)
