"""The Insight menu of a main window: explanations, robustness, activations, compression."""

from __future__ import annotations

from designer.ui.common.shell import Shell
from designer.ui.insight.activations_dock import ActivationsActions
from designer.ui.insight.compression_dialog import CompressionActions
from designer.ui.insight.explain_panel import ExplainActions
from designer.ui.insight.robustness_window import RobustnessActions


class InsightActions:
    """Installs each Insight view's menu entry on ``shell`` and keeps them."""

    def __init__(self, shell: Shell) -> None:
        self.activations = ActivationsActions(shell)  # a dock, hidden until asked for
        beside = getattr(shell, "docks", {}).get("properties")
        if beside is not None:  # a tab beside Properties: the whole height for its maps
            shell.widget().tabifyDockWidget(beside, self.activations.dock)
        self.explain = ExplainActions(shell)
        self.robustness = RobustnessActions(shell)
        self.compression = CompressionActions(shell)
